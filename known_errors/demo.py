"""Demo known errors (records.registry seeder): a few published ones on the demo services, so the incident page's
panel has something to show. Idempotent: a title already there is left alone; needs the demo cast (seed_demo)."""

from core.models import User
from servicedesk import demo
from servicedesk.models import Category, Service

from .models import KnownError
from .testing import make_known_error

SERVICE_NAMES = {key: name for key, name, _description, _group in demo.SERVICES}
CATEGORY_NAMES = {key: name for key, name, _parent, _group in demo.CATEGORIES}

KNOWN_ERRORS = [
    {"title": "Outlook 无法发送大附件 Outlook cannot send large attachments", "service": "email",
     "symptoms": "发送超过 25 MB 的邮件时提示 552 错误。Mail over 25 MB bounces with error 552.",
     "root_cause": "邮件网关的大小限制为 25 MB。The mail gateway limits messages to 25 MB.",
     "workaround": "通过 **文件共享** 发送链接。Share the file on the **file share** and send the link."},
    {"title": "VPN 每小时断线 VPN drops every hour", "service": "vpn", "category": "remote_access",
     "symptoms": "VPN 连接大约每 60 分钟断开一次。The VPN connection drops about every 60 minutes.",
     "root_cause": "集中器的租约时间配置过短。The concentrator's lease time is too short.",
     "workaround": "断线后重新连接；保存的凭据会自动登录。Reconnect; saved credentials sign in again."},
    {"title": "三楼打印机卡纸 Third-floor printer jams", "service": "printing", "category": "printer",
     "symptoms": "打印机在每个作业后显示卡纸。The printer shows a paper jam after every job.",
     "root_cause": "进纸辊磨损。Worn feed rollers.",
     "workaround": "使用手动进纸盒（纸盒 2）。Use the manual feed tray (tray 2)."},
]


def seed():
    author = User.objects.filter(username="zhang.wei").first()
    lead = User.objects.filter(username="wang.fang").first()
    if author is None or lead is None:
        return  # no demo cast to write them
    for spec in KNOWN_ERRORS:
        if KnownError.objects.filter(title=spec["title"]).exists():
            continue
        fields = dict(spec)
        fields["service"] = Service.objects.filter(name=SERVICE_NAMES[fields.pop("service")]).first()
        category = fields.pop("category", None)
        fields["category"] = Category.objects.filter(name=CATEGORY_NAMES[category]).first() if category else None
        make_known_error(author, publish_as=lead, **fields)
