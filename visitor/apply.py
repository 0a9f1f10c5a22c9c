"""The visitor's online pre-review pages (网上预审), public: applying from a phone, /apply/{hall}, and
the application's status link, /apply/{hall}/s/{status_token} (the token is the secret)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.context import ctx
from server.domain.applications import UnknownApplication
from server.services.applications import apply_page_data, by_status_token
from server.web import not_found, public_hall, render

EXPLANATIONS = {
    "submitted": "您的申请已提交，正在等待预审。承办部门将在预审期限前完成预审，结果会显示在本页，请保存本页链接。",
    "accepted": "预审通过，您的申请已正式受理，无需再到大厅递交材料。可凭受理编号查看办理进度。",
    "visit": "预审通过。请携带全部材料的原件到大厅窗口办理，可以先预约到厅时间，免去排队。",
    "failed": "预审未通过。请按下方一次性告知的内容一次性补齐或更正材料后重新提交。",
    "withdrawn": "您已撤回这份申请。如需办理，请重新提交。",
}


async def apply_page(request: Request) -> Response:
    """网上预审 on the visitor's phone: an item done online, the applicant, each material's files."""
    hall = await public_hall(request)
    if hall is None:
        return not_found("没有找到这个大厅", "Hall not found")
    page = await apply_page_data(ctx(request), hall)
    wanted = request.query_params.get("item", "").strip().upper()[:32]
    page["chosen"] = wanted if any(i["code"] == wanted for i in page["items"]) else ""
    return render("apply.html", hall=hall.config, page=page)


def _explanation(application: dict[str, object]) -> str:
    status = str(application["status"])
    if status == "passed":
        return EXPLANATIONS["accepted" if application["case"] else "visit"]
    return EXPLANATIONS.get(status, "")


async def status_page(request: Request) -> Response:
    """The application as it stands: waiting, passed (the case's receipt, or bring the originals and
    book a visit; the result's delivery), failed (the one-time notice), withdrawn."""
    try:
        application = await by_status_token(ctx(request), request.path_params["status_token"])
    except UnknownApplication:
        application = None
    if application is None or application["hall"]["code"] != request.path_params["hall"]:
        return render("not_found.html", status=404, title="没有找到这份网上申请", title_en="Application not found",
                      message="请核对链接是否完整，或到大厅窗口咨询。",
                      message_en="Please check that the address is complete, or ask at a counter.")
    page = {"application": application, "explanations": EXPLANATIONS}
    return render("apply_status.html", application=application, page=page, explanation=_explanation(application))


ROUTES = [
    Route("/apply/{hall}", apply_page),
    Route("/apply/{hall}/s/{status_token}", status_page),
]
