"""The demo hall ``jinan`` (晋安区行政服务中心) exactly as CONTRACT lists it, its departments and
catalog of service items, demo staff and device tokens: data, loaded through the set-up's own code."""

from __future__ import annotations

from sqlalchemy import Connection

from server.domain.catalog import CatalogItem, to_rows
from server.domain.model import CounterConfig, HallConfig, QueueConfig
from server.services.catalog import parse_catalog_rows
from server.services.layout import create_hall
from server.store import catalog as catalog_store
from server.store import devices, repo

QUEUES = (
    QueueConfig("A", "社会民生类"), QueueConfig("B", "注册登记类"), QueueConfig("C", "经营许可类"),
    QueueConfig("D", "投资建设类"), QueueConfig("L", "查询发证"), QueueConfig("Z", "咨询"), QueueConfig("V", "代办"),
)
_COUNTER_QUEUES = {1: "A", 2: "A", 3: "A", 4: "B", 5: "B", 6: "B", 7: "C", 8: "C", 9: "D", 10: "D",
                   11: "LZ", 12: "VA"}
COUNTERS = tuple(CounterConfig(n, f"{n}号窗口", tuple(q)) for n, q in _COUNTER_QUEUES.items())
JINAN = HallConfig(code="jinan", name="晋安区行政服务中心", queues=QUEUES, counters=COUNTERS,
                   phone="87711892")  # the seed's consultation line (art. 15)

# The district's departments (code, name), in the order the pages list them.
DEPARTMENTS: list[tuple[str, str]] = [
    ("RSJ", "区人社局"), ("YBJ", "区医保局"), ("MZJ", "区民政局"), ("CL", "区残联"), ("WJJ", "区卫健局"),
    ("TYJRJ", "区退役军人事务局"), ("SCJG", "区市场监管局"), ("SWJ", "区税务局"), ("YCJ", "区烟草专卖局"),
    ("WTLJ", "区文体旅局"), ("JTJ", "区交通运输局"), ("ZRZYJ", "区自然资源局"), ("ZJJ", "区住建局"),
    ("STHJJ", "区生态环境局"), ("FGJ", "区发改局"), ("CGJ", "区城管局"), ("SLJ", "区水利局"), ("RFB", "区人防办"),
    ("ZHCK", "综合窗口"), ("ZWFW", "区行政服务中心"), ("JDB", "街道办事处"),
]

# (code, name, queue, department's code, time limit in working days, materials); the pinyin initials the
# kiosk searches are computed from each name (server/domain/catalog.py).
ITEMS: list[tuple[str, str, str, str, int, list[str]]] = [
    ("A01", "城乡居民基本养老保险参保登记", "A", "RSJ", 0, ["居民身份证", "户口簿"]),
    ("A02", "城乡居民基本医疗保险参保登记", "A", "YBJ", 0, ["居民身份证", "户口簿"]),
    ("A03", "失业登记", "A", "RSJ", 0, ["居民身份证", "就业失业登记证"]),
    ("A04", "就业创业证申领", "A", "RSJ", 3, ["居民身份证", "近期一寸照片"]),
    ("A05", "最低生活保障申请", "A", "MZJ", 30, ["居民身份证", "户口簿", "家庭收入证明", "申请书"]),
    ("A06", "高龄老人补贴申领", "A", "MZJ", 20, ["居民身份证", "户口簿", "银行卡"]),
    ("A07", "残疾人两项补贴申请", "A", "CL", 20, ["居民身份证", "残疾人证", "户口簿"]),
    ("A08", "生育登记服务", "A", "WJJ", 0, ["夫妻双方居民身份证", "结婚证"]),
    ("A09", "医疗救助申请", "A", "YBJ", 15, ["居民身份证", "医疗费用发票", "出院小结"]),
    ("A10", "退役军人优待证申领", "A", "TYJRJ", 10, ["居民身份证", "退役证件", "近期一寸照片"]),
    ("A11", "临时救助申请", "A", "MZJ", 10, ["居民身份证", "困难情况说明"]),
    ("B01", "个体工商户设立登记", "B", "SCJG", 1,
     ["经营者身份证", "经营场所证明", "个体工商户开业登记申请书"]),
    ("B02", "有限责任公司设立登记", "B", "SCJG", 3,
     ["公司章程", "股东身份证明", "住所使用证明", "设立登记申请书"]),
    ("B03", "营业执照变更登记", "B", "SCJG", 3, ["营业执照正副本", "变更登记申请书", "股东会决议"]),
    ("B04", "营业执照注销登记", "B", "SCJG", 5, ["营业执照正副本", "注销登记申请书", "清税证明"]),
    ("B05", "农民专业合作社设立登记", "B", "SCJG", 3, ["设立大会纪要", "章程", "成员名册"]),
    ("B06", "个人独资企业设立登记", "B", "SCJG", 3,
     ["投资人身份证", "住所使用证明", "设立登记申请书"]),
    ("B07", "合伙企业设立登记", "B", "SCJG", 3, ["合伙协议", "合伙人身份证明", "设立登记申请书"]),
    ("B08", "税务登记信息确认", "B", "SWJ", 0, ["营业执照", "法定代表人身份证"]),
    ("B09", "分公司设立登记", "B", "SCJG", 3,
     ["隶属公司营业执照", "分公司负责人任职文件", "住所使用证明"]),
    ("B10", "企业名称自主申报", "B", "SCJG", 0, ["投资人身份证明"]),
    ("C01", "食品经营许可证核发", "C", "SCJG", 10,
     ["营业执照", "食品经营许可申请书", "经营场所平面图", "食品安全管理制度"]),
    ("C02", "公共场所卫生许可证核发", "C", "WJJ", 10,
     ["营业执照", "卫生许可申请书", "卫生检测报告"]),
    ("C03", "烟草专卖零售许可证核发", "C", "YCJ", 15,
     ["营业执照", "经营者身份证", "经营场所证明"]),
    ("C04", "药品零售企业许可", "C", "SCJG", 20,
     ["营业执照", "执业药师证明", "经营场所证明", "质量管理文件"]),
    ("C05", "第二类医疗器械经营备案", "C", "SCJG", 0,
     ["营业执照", "经营场所证明", "质量管理制度"]),
    ("C06", "娱乐场所经营许可", "C", "WTLJ", 20, ["营业执照", "消防验收证明", "场所平面图"]),
    ("C07", "出版物零售单位设立", "C", "WTLJ", 20, ["营业执照", "经营场所证明", "负责人资格证明"]),
    ("C08", "小餐饮登记", "C", "SCJG", 5, ["经营者身份证", "健康证明", "经营场所证明"]),
    ("C09", "人力资源服务许可", "C", "RSJ", 20, ["营业执照", "从业人员资格证明", "管理制度"]),
    ("C10", "道路货物运输经营许可", "C", "JTJ", 20,
     ["营业执照", "车辆行驶证", "驾驶员从业资格证"]),
    ("D01", "建设工程规划许可证核发", "D", "ZRZYJ", 20,
     ["建设工程规划许可申请表", "设计方案", "土地权属证明"]),
    ("D02", "建筑工程施工许可证核发", "D", "ZJJ", 7,
     ["施工许可申请表", "施工合同", "安全施工措施"]),
    ("D03", "建设项目环境影响评价审批", "D", "STHJJ", 30, ["环评报告书", "项目批复文件"]),
    ("D04", "固定资产投资项目备案", "D", "FGJ", 3, ["项目备案申请表", "营业执照"]),
    ("D05", "建设工程消防设计审查", "D", "ZJJ", 15, ["消防设计文件", "施工图审查合格书"]),
    ("D06", "建设工程竣工验收备案", "D", "ZJJ", 15,
     ["竣工验收报告", "规划核实证明", "消防验收证明"]),
    ("D07", "城市建筑垃圾处置核准", "D", "CGJ", 10, ["处置方案", "运输合同", "消纳场证明"]),
    ("D08", "临时占用城市道路许可", "D", "CGJ", 10, ["占道申请书", "平面示意图"]),
    ("D09", "水土保持方案审批", "D", "SLJ", 20, ["水土保持方案报告书", "项目立项文件"]),
    ("D10", "人防工程建设审批", "D", "RFB", 15, ["人防设计文件", "项目批复"]),
    ("L01", "办件结果领取", "L", "ZHCK", 0, ["受理回执", "领取人身份证"]),
    ("L02", "证照补发领取", "L", "ZHCK", 0, ["受理回执", "领取人身份证"]),
    ("Z01", "政策咨询", "Z", "ZHCK", 0, []),
    ("V01", "特殊群体代办服务", "V", "ZWFW", 0, ["委托书", "委托人身份证"]),
]

# username, role, counter, display name, staff number
# The names are shown above the windows with the staff numbers, as halls show them.
CLERK_NAMES = ("林晓燕", "陈志强", "黄丽华", "郑伟", "王芳", "刘建国", "张敏", "吴海峰", "李秀英", "杨帆", "周静",
               "许文斌")
STAFF: list[tuple[str, str, int | None, str, str]] = [
    *[(f"clerk{n:02d}", "clerk", n, CLERK_NAMES[n - 1], f"JA{n:03d}") for n in range(1, 13)],
    ("guide", "guide", None, "导办员", "JA100"),
    ("manager", "manager", None, "督查科", "JA200"),
    ("admin", "admin", None, "系统管理员", "JA900"),
    ("dept-scjg", "department", None, "区市场监管局", "SCJG"),
]
# department users: the department whose cases each reports on
STAFF_DEPARTMENTS: dict[str, str] = {"dept-scjg": "SCJG"}
DEMO_PASSWORD = "demo1234"

# kind, name, counter
DEVICES: list[tuple[str, str, int | None]] = [
    ("kiosk", "kiosk-1", None), ("display", "hall-screen", None), ("agent", "kiosk-1", None),
    *[("counter", f"counter-{n}", n) for n in range(1, 13)],
]
# The counters each demo agent drives, as the hall decides (the agent's hello only says what its bus
# has): the kiosk PC's counter bus reaches the keypads of counters 1–3 (`onewindow demo --agent-config`).
AGENT_COUNTERS: dict[str, tuple[int, ...]] = {"kiosk-1": (1, 2, 3)}


def load_demo(conn: Connection) -> None:
    """Create or refresh the demo hall and its catalog (idempotent), through what an administrator's
    set-up uses: the hall made as `onewindow hall create` makes it, the departments as the 部门 tab
    adds them, and the catalog written as a file's rows and imported as a file is (all or nothing)."""
    create_hall(conn, JINAN.code, JINAN.name)
    repo.save_hall(conn, JINAN)  # the queues and counters CONTRACT lists
    for code, name in DEPARTMENTS:
        catalog_store.put_department(conn, JINAN.code, code, name)
    header, rows = to_rows(CatalogItem(code, name, queue, department, days, tuple(materials))
                           for code, name, queue, department, days, materials in ITEMS)
    queues = {q.code for q in JINAN.queues}
    catalog_store.replace_items(conn, JINAN.code, parse_catalog_rows(conn, JINAN.code, queues, header, rows))
    for agent, numbers in AGENT_COUNTERS.items():
        devices.set_counters_of_agent(conn, JINAN.code, agent, set(numbers))
