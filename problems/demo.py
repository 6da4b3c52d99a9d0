"""Demo problems (records.registry seeder; `manage.py seed_practices`): a few problems in each phase, linked to the
demo incidents, made through the services. Idempotent: does nothing once any problem exists."""

from core.models import User
from core.roles import Role
from incidents.models import Incident

from . import services
from .choices import CauseCategory, ProblemSource

PROBLEMS = [
    ("Mail relay drops connections under load", "邮件中继在高负载下断开连接", "investigate", None),
    ("打印机驱动更新后频繁崩溃", "Printer driver crashes after the update", "root_cause",
     ("The 4.2 driver leaks handles in the spooler; 打印后台处理程序句柄泄漏。", "Roll back to driver 4.1")),
    ("VPN disconnects every hour", "VPN 每小时断开一次", None, None),
]


def seed():
    if services.Problem.objects.exists():
        return
    actor = (User.objects.filter(groups__name=Role.TEAM_LEAD, is_active=True).order_by("pk").first()
             or User.objects.filter(groups__name__in=Role.STAFF, is_active=True).order_by("pk").first())
    if actor is None:
        return
    incidents = list(Incident.objects.order_by("-created_at")[:9])
    for index, (title, description, phase, cause) in enumerate(PROBLEMS):
        problem = services.raise_problem(actor=actor, title=title, description=description,
                                         source=ProblemSource.INCIDENT if incidents else ProblemSource.MANUAL,
                                         incidents=incidents[index * 3:index * 3 + 3])
        if phase in ("investigate", "root_cause"):
            problem = services.investigate_problem(problem, actor=actor)
        if phase == "root_cause":
            services.record_root_cause(problem, actor=actor, root_cause=cause[0], workaround=cause[1],
                                       cause_category=CauseCategory.TECHNICAL)
