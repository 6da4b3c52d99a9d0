"""The knowledge benchmark: N published articles (Chinese and English), then the portal's suggestions as someone
types a title — the deflection on the report page — timed through gunicorn.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/itsm python -m bench.knowledge --n 50000 --requests 200

It runs on its own database (BENCH_DATABASE_URL, or DATABASE_URL with the name replaced by `itsm_bench_knowledge`),
created and migrated if missing. Without --fresh it only tops the articles up to N. Goal: p95 ≤ 50 ms.
"""

import argparse
import io
import os
import random
import time
from urllib.parse import quote, urlsplit

from bench.database import bench_database_url, setup_django

TARGET_P95_MS = 50
PASSWORD = "bench-pass-123"  # noqa: S105 (the benchmark's own throwaway reader)
BATCH = 5000

DEVICES_ZH = ["打印机", "笔记本电脑", "显示器", "无线网络", "邮箱", "共享盘", "视频会议", "手机", "扫描仪", "投影仪",
              "门禁卡", "报销系统", "考勤系统", "网银盾", "浏览器"]
PROBLEMS_ZH = ["无法打印", "无法连接", "速度很慢", "频繁断开", "提示密码错误", "无法登录", "没有声音", "屏幕闪烁",
               "无法启动", "同步失败", "卡纸", "证书过期", "蓝屏", "无法安装", "显示乱码"]
DEVICES_EN = ["printer", "laptop", "monitor", "wifi", "mailbox", "shared drive", "video call", "phone", "scanner",
              "projector", "badge", "expense system", "timesheet", "token", "browser", "vpn client", "outlook",
              "teams", "docking station", "keyboard"]
PROBLEMS_EN = ["does not print", "cannot connect", "is very slow", "keeps disconnecting", "rejects the password",
               "cannot sign in", "has no sound", "screen flickers", "does not start", "fails to sync", "paper jam",
               "certificate expired", "crashes on startup", "cannot install updates", "shows garbled text"]
STEPS_EN = ["Restart the device.", "Sign out and sign in again.", "Update the client to the latest version.",
            "Clear the cache of the browser.", "Check the cable and the power.", "Ask the desk for a new certificate."]
STEPS_ZH = ["重启设备。", "退出后重新登录。", "把客户端更新到最新版本。", "清除浏览器缓存。", "检查网线和电源。",
            "联系服务台申请新证书。"]
# What an end user types, letter by letter: each title is sent at several lengths, as the debounced input would.
TYPED_ZH = ["打印机无法打印", "无线网络频繁断开", "邮箱提示密码错误", "笔记本电脑蓝屏", "视频会议没有声音"]
TYPED_EN = ["printer does not print", "vpn client keeps disconnecting", "outlook rejects the password",
            "laptop crashes on startup", "wifi is very slow"]


def typed_prefixes(phrases, *, chinese):
    """The texts a debounced title field sends while each phrase is typed: Chinese from two characters on, English
    from three letters, every other keystroke."""
    out = []
    for phrase in phrases:
        start, step = (2, 1) if chinese else (3, 2)
        out.extend(phrase[:end] for end in range(start, len(phrase) + 1, step))
    return out


def article_texts(rng, index):
    """(title, symptoms, cause, solution) of one article: half in Chinese, half in English, some in both."""
    if index % 2:
        device, problem = rng.choice(DEVICES_ZH), rng.choice(PROBLEMS_ZH)
        title = f"{device}{problem}（{index}）"
        return (title, f"用户报告{device}{problem}，影响日常办公。", f"{device}的配置或驱动问题。",
                " ".join(rng.sample(STEPS_ZH, 3)))
    device, problem = rng.choice(DEVICES_EN), rng.choice(PROBLEMS_EN)
    title = f"The {device} {problem} ({index})"
    extra = f" / {rng.choice(DEVICES_ZH)}" if index % 5 == 0 else ""
    return (title + extra, f"Users report that the {device} {problem}.", f"A known issue of the {device} setup.",
            " ".join(rng.sample(STEPS_EN, 3)))


def seed(n, rng, *, author, reviewer, organisations, categories, progress):
    """Insert articles (COPY), their published revisions and search vectors in bulk; returns seconds taken."""
    from django.db import connection, transaction
    from django.utils import timezone

    from bench.seed import search_parts
    from knowledge.choices import ArticleState, Audience
    from knowledge.models import Article
    from knowledge.services import SEQUENCE

    started = time.perf_counter()
    now = timezone.now()
    done = 0
    while done < n:
        count = min(BATCH, n - done)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [SEQUENCE, count])
            numbers = [row[0] for row in cursor.fetchall()]
            rows, texts = [], []
            for number in numbers:
                title, symptoms, cause, solution = article_texts(rng, number)
                roll = rng.random()
                audience = (Audience.ALL_END_USERS if roll < 0.8 else
                            Audience.ORGANISATIONS if roll < 0.9 else Audience.INTERNAL)
                rows.append((f"KB-{number:06d}", title, symptoms, cause, solution, rng.choice(categories),
                             audience, number))
                texts.append(search_parts([f"KB-{number:06d}", title, symptoms, cause, solution]))
            buffer = io.StringIO()
            for (num, title, symptoms, cause, solution, category, audience, _seq), (latin, cjk) in zip(
                    rows, texts, strict=True):
                fields = [num, title, symptoms, cause, solution, str(category), audience, latin, cjk,
                          str(rng.randrange(0, 200))]
                buffer.write("\t".join(f.replace("\\", "\\\\").replace("\t", " ").replace("\n", "\\n")
                                       for f in fields) + "\n")
            cursor.execute("CREATE TEMP TABLE kb_stage (number text, title text, symptoms text, cause text, "
                           "solution text, category_id bigint, audience text, latin text, cjk text, helpful int) "
                           "ON COMMIT DROP")
            with cursor.copy("COPY kb_stage FROM STDIN") as copy:
                copy.write(buffer.getvalue())
            cursor.execute(
                "INSERT INTO knowledge_article (number, title, symptoms, cause, solution, category_id, tags, "
                "audience, state, owner_id, drafted_by_id, reviewer_id, review_note, published_at, source_record, "
                "view_count, helpful_count, not_helpful_count, deflection_count, version, created_at, updated_at, "
                "search_vector) "
                "SELECT number, title, symptoms, cause, solution, category_id, '{}', audience, %s, %s, %s, %s, '', "
                "%s, '', 0, helpful, 0, 0, 2, %s, %s, "
                "to_tsvector('english', latin) || to_tsvector('simple', cjk) FROM kb_stage",
                [ArticleState.PUBLISHED, author.pk, author.pk, reviewer.pk, now, now, now])
            cursor.execute(
                "INSERT INTO knowledge_articlerevision (article_id, revision, title, symptoms, cause, solution, "
                "author_id, approved_by_id, published_at) SELECT a.id, 1, a.title, a.symptoms, a.cause, a.solution, "
                "%s, %s, %s FROM knowledge_article a JOIN kb_stage s ON s.number = a.number",
                [author.pk, reviewer.pk, now])
            cursor.execute(
                "UPDATE knowledge_article a SET published_revision_id = r.id FROM knowledge_articlerevision r, "
                "kb_stage s WHERE r.article_id = a.id AND s.number = a.number")
            through = Article.organisations.through._meta.db_table
            cursor.execute(
                f"INSERT INTO {through} (article_id, organisation_id) SELECT a.id, %s FROM knowledge_article a "  # noqa: S608
                "JOIN kb_stage s ON s.number = a.number WHERE a.audience = %s",
                [organisations[0].pk, Audience.ORGANISATIONS])
        done += count
        progress(f"  {done} articles")
    # VACUUM, not only ANALYZE: it moves the GIN index's pending list (every insert lands there first) into the
    # index proper and drops the row versions the revision update left, as autovacuum would on a live system.
    with connection.cursor() as cursor:
        for table in ("knowledge_article", "knowledge_articlerevision", "knowledge_article_organisations"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    return time.perf_counter() - started


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.knowledge", description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=50_000, help="published articles (default 50000)")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per measure (default 200)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed rounds first (default 10)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--fresh", action="store_true", help="empty the knowledge tables first")
    parser.add_argument("--database-url", help="the database to use (default: see above)")
    parser.add_argument("--wait-quiet", type=int, default=0, metavar="SECONDS",
                        help="before measuring, wait up to this long for a one-minute load average under 1.0")
    return parser.parse_args(argv)


def _cast():
    from core.models import Organisation, User
    from core.roles import Role, grant_role
    from knowledge.models import ArticleCategory

    org, _ = Organisation.objects.get_or_create(code="bench-acme", defaults={"name": "Bench Acme"})
    other, _ = Organisation.objects.get_or_create(code="bench-globex", defaults={"name": "Bench Globex"})
    people = {}
    for username, role, organisation in (("kb-author", Role.AGENT, None), ("kb-reviewer", Role.AGENT, None),
                                         ("kb-reader", Role.END_USER, org)):
        user, created = User.objects.get_or_create(username=username, defaults={"organisation": organisation})
        if created:
            user.set_password(PASSWORD)
            user.save()
            grant_role(user, role)
        people[username] = user
    categories = [ArticleCategory.objects.get_or_create(name=name, defaults={"name_zh": zh})[0].pk
                  for name, zh in (("Printing", "打印"), ("Network", "网络"), ("E-mail", "邮件"),
                                   ("Accounts", "账号"), ("Hardware", "硬件"))]
    return people, [org, other], categories


def main(argv=None):
    args = parse_args(argv)
    url = bench_database_url(args.database_url, override_variable="BENCH_DATABASE_URL",
                             default_name="itsm_bench_knowledge")
    print(f"database: {urlsplit(url)._replace(netloc=urlsplit(url).hostname or '').geturl()}", flush=True)
    setup_django(url)
    from rest_framework.authtoken.models import Token

    from knowledge.models import Article

    from . import measure, report

    people, organisations, categories = _cast()
    reader = people["kb-reader"]
    token = Token.objects.get_or_create(user=reader)[0].key
    if args.fresh:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE knowledge_article, knowledge_articlerevision, knowledge_articlevote, "
                           "knowledge_articleview, knowledge_deflectionevent, knowledge_article_organisations CASCADE")
    missing = args.n - Article.objects.count()
    figures = {"machine": measure.machine()}
    if missing > 0:
        print(f"seeding {missing} articles ...", flush=True)
        seconds = seed(missing, random.Random(2026), author=people["kb-author"], reviewer=people["kb-reviewer"],
                       organisations=organisations, categories=categories, progress=lambda s: print(s, flush=True))
        print(f"seeded in {seconds:.1f} s", flush=True)
    total = Article.objects.count()

    zh, en = typed_prefixes(TYPED_ZH, chinese=True), typed_prefixes(TYPED_EN, chinese=False)
    portal, api = "/portal/knowledge/suggestions/?title=", "/api/v1/knowledge/suggestions/?q="

    def typing(prefix, texts):
        return lambda index: prefix + quote(texts[index % len(texts)])

    scenarios = [
        measure.Scenario("Portal suggestions, typing Chinese", "GET", typing(portal, zh), "session",
                         query_paths=[("打印机无法", portal + quote("打印机无法"))]),
        measure.Scenario("Portal suggestions, typing English", "GET", typing(portal, en), "session",
                         query_paths=[("printer does n", portal + quote("printer does n"))]),
        measure.Scenario("API suggestions, typing both", "GET", typing(api, [*zh, *en]), "token",
                         query_paths=[("vpn client", api + quote("vpn client"))]),
        # The same request with nothing to search yet (one letter): what the request costs without the search.
        measure.Scenario("Portal suggestions, one letter (baseline)", "GET", portal + "a", "session",
                         query_paths=[("a", portal + "a")]),
    ]
    for scenario in scenarios:
        counts = {}
        for label, path in scenario.query_paths:
            queries, _rows, _sql = measure.count_queries(path, user=reader,
                                                         token=token if scenario.client == "token" else None)
            counts[label] = queries
        scenario.results["queries"] = counts
    if args.wait_quiet:
        measure.wait_until_quiet(timeout=args.wait_quiet, progress=lambda line: print(line, flush=True))
    figures["machine"]["load_average"] = os.getloadavg()
    with measure.Server(workers=args.workers) as server:
        session = measure.HttpClient(server.port)
        session.login(reader.username, PASSWORD)
        clients = {"session": session, "token": measure.HttpClient(server.port, token=token)}
        measure.run_timings(scenarios, clients, requests=args.requests, warmup=args.warmup,
                            progress=lambda line: print(line, flush=True))

    print()
    print(report.machine_line(figures["machine"]))
    print(f"Data: {total} published articles (80% for every end user, 10% for one organisation, 10% internal); "
          f"typed texts: {len(zh)} Chinese, {len(en)} English prefixes")
    print()
    print("| measure | median | p95 | max | target p95 | queries per request | verdict |")
    print("| --- | ---: | ---: | ---: | ---: | --- | --- |")
    for s in scenarios:
        r = s.results
        queries = ", ".join(f"{n} ({label})" for label, n in r["queries"].items())
        verdict = "met" if r["p95_ms"] <= TARGET_P95_MS else "MISSED"
        print(f"| {s.name} | {r['median_ms']:.1f} ms | {r['p95_ms']:.1f} ms | {r['max_ms']:.1f} ms | "
              f"≤ {TARGET_P95_MS} ms | {queries} | {verdict} |")


if __name__ == "__main__":
    main()
