"""The back office's entries in the inventory of personal data (requests_app.personal_data).

Registered from `DispatchConfig.ready()`: requests_app never imports dispatch.
What the outbox holds: the citizen's phone (SMS) or a staff e-mail address as
recipient, and bodies that quote the request's title and the citizen's words
(a rework's reason carries their 不满意 comment). Staff free text on hand-overs
and extensions may quote the citizen too.
"""

from __future__ import annotations

from requests_app.personal_data import (
    ANONYMISED_TEXT,
    Entry,
    Kind,
    inventory_declare_not_personal,
    inventory_register,
)

NOTIFICATION = "dispatch.Notification"

inventory_register(
    Entry(NOTIFICATION, "recipient", Kind.RECIPIENT, "request", "", "通知接收人：市民电话或员工邮箱"),
    Entry(NOTIFICATION, "body", Kind.FREE_TEXT, "request", ANONYMISED_TEXT, "通知正文（引述求助标题、市民意见）"),
    # A gateway's error may echo the address it refused.
    Entry(NOTIFICATION, "last_error", Kind.FREE_TEXT, "request", "", "发送失败的错误信息（可能含接收人）"),
    Entry("dispatch.Assignment", "instructions", Kind.FREE_TEXT, "request", "", "交办意见（可能引述市民）"),
    Entry("dispatch.Assignment", "return_reason", Kind.FREE_TEXT, "request", "", "退单理由（可能引述市民）"),
    Entry(
        "dispatch.ExtensionRequest", "reason", Kind.FREE_TEXT, "request", ANONYMISED_TEXT, "延期理由（可能引述市民）"
    ),
    Entry("dispatch.ExtensionRequest", "decision_note", Kind.FREE_TEXT, "request", "", "延期审批意见"),
    # Kept on purpose: the record of who saw a citizen's contact must outlive the contact.
    Entry(
        "dispatch.ContactAccess",
        "ip_address",
        Kind.STAFF,
        None,
        "",
        "查看市民联系方式的员工IP地址",
        retention="kept: the record of who saw a citizen's contact outlives the contact",
    ),
    Entry(
        "dispatch.ReportExport",
        "ip_address",
        Kind.STAFF,
        None,
        "",
        "下载统计报表的员工IP地址",
        retention="kept: the record of who took the figures out, beside the contact-access audit",
    ),
)
inventory_declare_not_personal(
    "dispatch.Unit.name",
    "dispatch.Unit.short_name",
    "dispatch.Unit.email",
    reason="a unit's name and its shared mailbox, not a person's",
)
inventory_declare_not_personal(
    "dispatch.ResponsibilityRule.note",
    reason="the 权责清单's basis for a rule (a regulation, a unit's remit), written by dispatchers, not about a person",
)
