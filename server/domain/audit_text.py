"""The audit trail in words a 督查科 officer reads: one Chinese sentence per entry. Pure.

An entry keeps the machine's names (``counter.call-next``, ``counter 3``, ``{"fields": […]}``) so
that it can be searched; this module says the same in Chinese: 张三（clerk03，窗口人员）在3号窗口呼叫下一位。
tests/api/test_audit.py checks that every action the API can record has its words here.
"""

from __future__ import annotations

from typing import Any

ROLES = {"clerk": "窗口人员", "guide": "导办员", "manager": "管理人员", "admin": "系统管理员",
         "department": "部门人员", "cli": "命令行"}

# What the actor did, as a verb phrase.
ACTIONS = {
    "auth.login": "登录系统", "auth.login.failed": "登录失败（用户名或密码错误）",
    "auth.login.blocked": "登录被暂时锁定（失败次数过多）", "auth.logout": "退出登录",
    "ticket.create": "代为取号", "ticket.cancel": "取消了等候号", "ticket.rating": "记录了服务评价",
    "notice.set": "设置了大厅滚动公告", "phone.set": "设置了大厅咨询电话", "kiosk.card": "在取号机读取了身份证",
    "counter.open": "签到开窗", "counter.close": "签退关窗", "counter.pause": "暂停了窗口",
    "counter.resume": "恢复了窗口",
    "counter.call-next": "呼叫下一位", "counter.call": "特呼了指定号码", "counter.recall": "重呼",
    "counter.start": "开始办理",
    "counter.no-show": "将当前号码标记为过号", "counter.finish": "办结了当前号码", "counter.transfer": "转移了当前号码",
    "counter.reinstate": "回呼了过号号码", "counter.rating": "记录了服务评价", "counter.queues": "调整了窗口办理的队列",
    "counter.receive": "受理了办件",
    "rating.create": "记录了服务评价", "calendar.set": "设置了节假日与调休日历",
    "appointment.create": "代为预约", "appointment.cancel": "取消了预约",
    "case.create": "受理了办件", "case.events": "更新了办件状态", "case.pickup-ticket": "为办件领取了取证号",
    "case.print": "打印了办件文书",
    "case.fees": "登记了办件收费",  # its detail: 收取了费用 10.00元（窗口缴费） (server/api/fees.py)
    # online pre-review (server/api/applications.py): staff on a visitor's behalf, and the decision
    "application.create": "代为提交了网上预审申请", "application.review": "预审了网上申请",
    "application.withdraw": "撤回了网上预审申请", "application.delivery": "登记了网上申请的结果送达方式",
    "settings.set": "修改了大厅设置",  # the settings page's: its detail says each change, before → after
    "alert.ack": "确认了告警", "alert-settings.set": "修改了告警设置", "queue.move": "转移了等候中的号码",
    "system.clock": "调整了演示时钟", "reports.exports": "导出了报表", "followups.settings": "修改了整改期限设置",
    "followup.update": "处理了整改单",
    "consultation.create": "登记了咨询", "consultation.update": "处理了咨询（答复、部门答复或办结）",
    "assisted.create": "登记了代办事项", "assisted.steps": "记录了代办步骤", "assisted.update": "办结了代办事项",
    "user.add": "添加了账号", "token.add": "签发了访问令牌", "token.revoke": "吊销了访问令牌",
    "pii.purge": "按保存期限清除了已办结办件和过期预约中的姓名、电话",
    # backups (server/services/backups.py, docs/operations.md)
    "backup.scheduled": "完成了每日自动备份", "backup.failed": "每日自动备份失败",
    "backup.restore": "从备份恢复了数据库（新的历史：序号和今天的号码跳过备份之后丢失的部分）",
    "user.update": "修改了账号", "user.disable": "停用了账号", "token.delete": "吊销了设备令牌",
    # staff set up from the browser (server/api/accounts.py); a route names its change (audit_action)
    "user.create": "添加了账号", "user.enable": "启用了账号",
    "user.reset-password": "重置了账号密码（须在下次登录时修改）",
    "auth.password": "修改了自己的登录密码", "auth.password.failed": "修改密码失败（原密码错误）",
    # the counter's keypad (呼叫器) through the device agent, for the clerk signed in there (server/agents/drive.py)
    "keypad.call": "用呼叫器呼叫下一位", "keypad.recall": "用呼叫器重呼", "keypad.pause": "用呼叫器暂停了窗口",
    "keypad.resume": "用呼叫器恢复了窗口", "keypad.transfer": "用呼叫器转移了当前号码",
    "keypad.no_show": "用呼叫器将当前号码标记为过号", "keypad.reinstate": "用呼叫器回呼了过号号码",
    "keypad.evaluate": "用呼叫器请办事人评价", "evaluator.rating": "经评价器记录了服务评价",
    "agent.refused": "的操作被拒绝（该窗口未分配给此设备代理）", "agent-counters.set": "设置了设备代理可操作的窗口",
    # the 设备 tab of /admin/{hall} (server/api/devices.py); revoking is token.delete
    "token.create": "签发了设备令牌", "token.update": "修改了设备令牌", "agent.counters": "设置了设备代理驱动的窗口",
    # setting the hall up (server/api/layout.py, `onewindow hall create`)
    "queue.set": "设置了队列", "queue.delete": "删除了队列",
    "counter.set": "设置了窗口", "counter.delete": "删除了窗口",
    "hall.create": "创建了大厅", "hall.rename": "修改了大厅名称", "hall.set": "新建了大厅",
    "department.set": "设置了部门", "department.delete": "停用了部门",
    # where a department's messages go (server/api/department_notices.py)
    "department.webhook": "设置了部门的消息推送地址", "department.webhook.delete": "取消了部门的消息推送地址",
    "item.set": "设置了事项", "item.delete": "删除了事项", "items.import": "导入了事项目录",
    "feedback.create": "代办事人登记了意见建议或投诉", "feedback.update": "处理了意见建议或投诉",
    "escalation.create": "上报了窗口无法办理的事项", "escalation.update": "处理了窗口上报的事项",
    "counter.card": "在窗口读取了身份证（查看既往办件）", "cases.by-card.pickup-ticket": "凭身份证为办件领取了取证号",
    "catalog.import": "用命令行导入了事项目录",
    # the dashboard's 排队预测 (server/api/whatif.py): a simulation only, nothing in the hall changes
    "whatif.create": "推演了窗口调整对今天排队的影响（仅模拟）",
}

# How the target of an action reads: "counter 3" → 3号窗口.
NOUNS = {"counter": "{}号窗口", "case": "办件 {}", "queue": "{}类队列", "alert": "告警 {}", "followup": "整改单 {}",
         "calendar": "{}年日历", "appointment": "预约 {}", "kiosk": "取号机 {}", "display": "显示屏 {}",
         "agent": "设备代理 {}", "user": "账号 {}", "ticket": "号码 {}", "export": "导出任务 {}",
         "token": "令牌 {}", "hall": "大厅 {}", "department": "部门 {}", "item": "事项 {}",
         "application": "网上申请 {}"}

FIELDS = {
    "queue": "队列", "queues": "队列", "counter": "窗口", "number": "号码", "ticket_number": "号码", "level": "评价",
    "reasons": "原因", "reason": "原因", "notice": "公告", "assignee": "负责人", "close": "结案", "reached": "已联系上",
    "mode": "方式", "priority": "优先类别", "channel": "渠道", "item": "事项", "status": "状态",
    "due_days": "期限（工作日）",
    "enabled": "启用", "kind": "类型", "minutes": "分钟", "target_minutes": "目标（分钟）", "to_queue": "转入队列",
    "from_queue": "转出队列", "year": "年份", "source": "来源", "paused": "暂停", "limit": "数量", "for": "用途",
    "applicant": "申请人", "materials_missing": "缺少的材料", "id_number": "身份证号", "password": "密码",
    "phone": "电话",
    "note": "备注", "callback": "回访", "tracking_no": "快递单号", "collector": "领取人", "what": "文书",
    "departments": "协办部门", "paperless": "无纸化", "date": "日期", "slot": "时段", "name": "姓名", "code": "编码",
    "ticket_id": "关联号码", "fix": "整改措施", "comment": "意见", "settings": "设置", "seconds": "秒数", "at": "时间",
    "format": "格式", "from": "起始", "to": "截止", "address": "来源地址", "advance_s": "前进秒数", "report": "报表",
    "appointment_code": "预约号", "card_token": "读卡凭证",
    "cases": "办件数", "appointments": "预约数", "case_days": "办件保存天数", "booking_days": "预约保存天数",
    "applications": "网上申请数",
    "active": "启用", "role": "角色", "hall": "大厅", "department": "部门", "days": "有效天数",
    "tokens_ended": "结束的令牌数", "must_change": "须在下次登录时修改密码",
    "copy_seq": "备份末尾序号", "new_seq": "新序号起点", "numbers_from": "今天号码接续自", "folder": "备份目录",
    "file": "文件", "bytes": "字节数", "pruned": "删除的旧备份", "error": "原因",
    "username": "用户名", "display_name": "姓名", "staff_no": "工号", "old_password": "原密码",
    "new_password": "新密码",
    "via": "经由设备代理", "ticket": "号码", "to_counter": "转去窗口", "event": "事件", "key": "按键",
    "counters": "窗口", "before": "修改前", "after": "修改后", "url": "推送地址", "secret": "签名密钥",
    "changes": "调整方案",
}

VALUES = {
    "accepted": "已受理", "incomplete": "待补正材料", "in_review": "审查中", "approved": "已批准",
    "rejected": "不予批准",
    "ready": "待领取", "collected": "已领取", "mailed": "已邮寄", "elderly": "老年人", "disabled": "残疾人",
    "pregnant": "孕妇", "minority": "少数民族", "military": "军人", "none": "无", "kiosk": "取号机", "guide": "导办台",
    "online": "网上", "counter": "窗口", "receipt": "接件回执", "notice": "一次性告知书", "user": "账号",
    "clerk": "窗口人员", "manager": "管理人员", "admin": "系统管理员",
    "display": "大厅显示屏", "agent": "设备代理",
}


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_value(v) for v in value) or "无"
    if value is None or value == "":
        return "（空）"
    return VALUES.get(str(value), str(value))


def target_text(target: str | None) -> str:
    """``counter 3 · case JA…`` → 3号窗口、办件 JA…"""
    if not target:
        return ""
    parts = []
    for piece in target.split(" · "):
        noun, _, rest = piece.partition(" ")
        parts.append(NOUNS[noun].format(rest) if noun in NOUNS and rest else piece)
    return "、".join(parts)


def detail_text(detail: dict[str, Any] | None) -> str:
    """The kept values (公告：今天下午维护) and the names of the other fields sent (提交了：申请人、缺少的材料)."""
    if not detail:
        return ""
    if "changes" in detail:  # a route that says each change, before → after: 叫号策略：严格优先 → 比例 3:1
        return "；".join(str(line) for line in detail["changes"]) or "未作修改"
    shown = [f"{FIELDS.get(k, k)}：{_value(v)}" for k, v in detail.items() if k != "fields"]
    others = [FIELDS.get(f, f) for f in detail.get("fields", []) if f not in detail and f != "…"]
    if others:
        shown.append("提交了" + "、".join(others))
    return "；".join(shown)


def actor_text(actor: str, kind: str, role: str | None, name: str | None = None) -> str:
    if kind == "cli":
        return f"服务器命令行（系统用户 {actor.removeprefix('cli:')}）"
    if kind == "system":
        return "系统（定时任务）"
    if kind == "anonymous":
        return f"用户名“{actor}”"
    if kind == "device":
        return f"设备 {actor}"
    role_text = ROLES.get(role or "", "")
    if name:
        return f"{name}（{actor}，{role_text}）" if role_text else f"{name}（{actor}）"
    return f"{actor}（{role_text}）" if role_text else actor


def action_text(action: str) -> str:
    return ACTIONS.get(action, f"执行了操作“{action}”")


def sentence(entry: dict[str, Any], name: str | None = None) -> str:
    """One entry as a Chinese sentence: who, where, did what, with what."""
    who = actor_text(str(entry.get("actor") or "?"), str(entry.get("kind") or "user"), entry.get("role"), name)
    target = target_text(entry.get("target"))
    verb = action_text(str(entry.get("action") or ""))
    if target.endswith("号窗口") and " " not in target:
        said = f"{who}在{target}{verb}"
    else:
        said = f"{who}{verb}" + (f"：{target}" if target else "")
    detail = detail_text(entry.get("detail"))
    return said + (f"（{detail}）" if detail else "") + "。"
