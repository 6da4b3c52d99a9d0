"""Demo data of the knowledge base (`manage.py seed_practices`): a few categories and articles in both languages,
published through the review flow, plus one draft and one in review. Idempotent: an article whose title exists is
left alone. Needs the demo people (servicedesk's seed_demo) and does nothing without them."""

from core.models import User

from . import services
from .choices import Audience
from .models import Article, ArticleCategory

CATEGORIES = [("Printing", "打印"), ("Network and VPN", "网络与 VPN"), ("E-mail and accounts", "邮件与账号")]

# (category index, title, symptoms, cause, solution, tags, audience, how far through review)
ARTICLES = [
    (0, "打印机卡纸怎么办", "打印机面板提示“卡纸”，打印任务停止。", "纸张受潮或纸盒装得太满。",
     "1. 打开前盖和纸盒。\n2. 顺着进纸方向轻轻取出卡住的纸。\n3. 合上盖子，重新打印。", ["打印机", "卡纸"],
     Audience.ALL_END_USERS, "published"),
    (0, "Printer shows offline", "The printer is listed as *offline* and jobs wait in the queue.",
     "The laptop joined the guest Wi-Fi, which cannot reach the printers.",
     "Connect to the office network (not *Guest*), then restart the print queue.", ["printer", "wifi"],
     Audience.ALL_END_USERS, "published"),
    (1, "VPN disconnects every hour", "The VPN client drops the connection about once an hour.",
     "Client versions before 5.2 renew their session incorrectly.", "Update the VPN client to 5.2 or later.",
     ["vpn"], Audience.ALL_END_USERS, "published"),
    (1, "无线网络连接很慢", "办公室无线网络网速很慢，视频会议卡顿。", "连接到了 2.4 GHz 频段。",
     "在无线网络设置中选择名称以 -5G 结尾的网络。", ["无线", "网络"], Audience.ALL_END_USERS, "published"),
    (2, "Outlook keeps asking for the password", "Outlook asks for the password every morning.",
     "An old password is stored in the credential manager.",
     "Remove the Office entries from the Windows credential manager and sign in again.", ["outlook", "password"],
     Audience.INTERNAL, "published"),
    (2, "邮箱容量已满", "发送邮件时提示邮箱已满。", "", "", ["邮箱"], Audience.ALL_END_USERS, "draft"),
    (1, "Resetting the VPN token", "The VPN token shows the wrong code.", "The token's clock drifted.",
     "Ask the desk to resynchronise the token.", ["vpn", "token"], Audience.ALL_END_USERS, "in_review"),
]


def seed():
    author, reviewer = User.objects.filter(username="agent").first(), User.objects.filter(username="lead").first()
    if author is None or reviewer is None:
        return
    categories = [ArticleCategory.objects.get_or_create(name=name, defaults={"name_zh": zh})[0]
                  for name, zh in CATEGORIES]
    for index, title, symptoms, cause, solution, tags, audience, stage in ARTICLES:
        if Article.objects.filter(title=title).exists():
            continue
        article = services.create_article(actor=author, title=title, symptoms=symptoms, cause=cause,
                                          solution=solution, category=categories[index], tags=tags,
                                          audience=audience)
        if stage in ("in_review", "published"):
            article = services.submit_article(article, actor=author, reviewer=reviewer)
        if stage == "published":
            services.approve_article(article, actor=reviewer)
