import asyncio, json
from tests.devices.test_agent_socket import open_agent, now_iso
from tests.servers import ServerProcess

def test_probe(hall_server: ServerProcess) -> None:
    async def s():
        agent = await open_agent(hall_server)
        await agent.hello()
        for ev in [
                   {"type": "rating", "counter": 1, "level": True}, {"type": "key", "counter": True, "action": "call"}]:
            await agent.send({"type": "event", "id": "probe-" + str(abs(hash(json.dumps(ev))))[:10], "at": now_iso(), "event": ev})
            try:
                print(json.loads(await asyncio.wait_for(agent.socket.recv(), 3)))
            except Exception as e:
                print("EXC", repr(e)); break
        await agent.send({"type":"hello","counters":[True],"devices":{}})
        print(await asyncio.wait_for(agent.socket.recv(), 3))
    try:
        asyncio.run(s())
    finally:
        print(hall_server.log()[-3000:])
    print(hall_server.log())
