"""Staff accounts: add, list and change them (disabling ends all their sessions), and one's own
password (the rules: server/services/accounts.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from server.context import caller_token, ctx, require_principal
from server.services import accounts

from .declare import endpoint
from .errors import JSONResponse
from .schemas import NewUser, PasswordChange, UserChange

STAFF = "{username, role, hall, counter, department, active, must_change_password, display_name, staff_no}"


def _changed(request: Request, change: accounts.StaffChange, status: int = 200) -> Response:
    """The account as it is now; and for the audit trail's entry of this request (server/api/audit.py)
    what changed, in words, and its name (a reset, a disabling… rather than a mere update)."""
    request.state.audit_detail = change.said()
    request.state.audit_action = change.action
    return JSONResponse(change.after, status_code=status)


@endpoint("POST", "/users", "Add a member of staff (admins; managers: to their own hall, never an admin); "
          "they must change the password at the first sign-in", body=NewUser, tag="manage",
          responses={201: STAFF, 403: "not allowed", 409: "the username is taken",
                     422: "bad username, role, hall, counter, department or a weak password"})
async def create_user(request: Request, body: NewUser) -> Response:
    principal = await require_principal(request)
    new = accounts.NewUser(**body.model_dump())
    return _changed(request, await accounts.create_user(ctx(request), principal, new), 201)


@endpoint("GET", "/halls/{hall}/users", "The hall's staff, disabled ones included, never a secret "
          "(managers of the hall, admins)", tag="manage",
          responses={200: f"{{users: [{STAFF}]}}", 403: "not a manager of this hall", 404: "unknown hall"})
async def hall_users(request: Request) -> Response:
    principal = await require_principal(request)
    users = await accounts.hall_users(ctx(request), principal, request.path_params["hall"])
    return JSONResponse({"users": users})


@endpoint("PATCH", "/users/{username}", "Change a user; active:false ends every token and session of theirs, "
          "and so does a new password, which its user must change at the next sign-in "
          "(admins; managers: their hall's staff)", body=UserChange, tag="manage",
          responses={200: STAFF, 403: "not allowed", 404: "unknown user", 409: "disabling one's own account",
                     422: "bad role, hall, counter, department or a weak password"})
async def change_user(request: Request, body: UserChange) -> Response:
    principal = await require_principal(request)
    change = await accounts.change_user(ctx(request), principal, request.path_params["username"],
                                        body.model_dump(exclude_unset=True))
    return _changed(request, change)


@endpoint("POST", "/auth/password", "Change one's own password (a session or a user's token); ends one's other "
          "tokens and sessions, and lifts 'must change the password'", body=PasswordChange, tag="auth",
          responses={200: STAFF, 401: "no live token or session", 403: "a device",
                     422: "a wrong old password (old_password) or a weak new one (new_password)",
                     429: "too many wrong old passwords"})
async def change_own_password(request: Request, body: PasswordChange) -> Response:
    principal = await require_principal(request)
    token = caller_token(request)
    assert token is not None  # the principal came from it
    address = request.client.host if request.client else "?"
    change = await accounts.change_own_password(ctx(request), principal, token, body.old_password,
                                                body.new_password, address)
    return _changed(request, change)


ROUTES = [create_user, hall_users, change_user, change_own_password]
