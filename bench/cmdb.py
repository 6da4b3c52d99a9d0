"""The CMDB benchmark: import 100,000 CIs from a file (then the same file again), link them with 500,000
relationships, and time impact analysis and the attribute-filtered CI list API.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/itsm python -m bench.cmdb --fresh

It runs on its own database (BENCH_DATABASE_URL, or DATABASE_URL with the name replaced by `itsm_bench_cmdb`),
created and migrated if missing. Not part of the test suite: figures go into docs/benchmarks.md.

The estate is 20 pods of 5,000 CIs: two core switches; 100 servers on both (a diamond each); 1,000 VMs hosted on
the servers; 1,500 applications and databases, each running on two VMs and depending on two earlier ones (long,
redundant chains); 100 services on ten applications each; 2,280 desktops on both switches; ten contracts and ten
documents that everything is covered or documented by, and backups on the servers (links that carry no impact).
So a core switch has 4,980 transitive dependants, reached through diamonds and repeated paths.
"""

import argparse
import csv
import io
import json
import random
import time

from bench.database import bench_database_url, setup_django

SOURCE = "bench"
POD = {"switch": 2, "server": 100, "vm": 1000, "app": 1500, "service": 100, "desktop": 2280, "contract": 10,
       "document": 10}
TARGETS = {"impact_p95_ms": 200, "import_s": 120, "reimport_s": 60, "filter_p95_ms": 60}


def database_url():
    return bench_database_url(override_variable="BENCH_DATABASE_URL", default_name="itsm_bench_cmdb")


def key(pod, kind, index):
    return f"p{pod:02d}-{kind}-{index:04d}"


def ip(number):
    return f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}"


def estate_csv(pods, rng):
    """The CI file: one row per CI, the attribute columns of every class (blank where a class has none)."""
    columns = ["class", "external_key", "name", "state", "attr.os", "attr.cpu_count", "attr.ram_gb",
               "attr.ip_address", "attr.serial_number", "attr.device_type", "attr.asset_tag", "attr.engine",
               "attr.criticality", "attr.service_level", "attr.contract_number", "attr.doc_type"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    number = 0
    for pod in range(pods):
        for kind, count in POD.items():
            for i in range(count):
                number += 1
                row = dict.fromkeys(columns, "")
                row.update({"external_key": key(pod, kind, i), "state": "in_use"})
                if kind == "switch":
                    row.update({"class": "network_device", "name": f"核心交换机 core-{pod}-{i}",
                                "attr.device_type": "switch 交换机", "attr.ip_address": ip(number),
                                "attr.serial_number": f"SW{number:07d}"})
                elif kind == "server":
                    row.update({"class": "server", "name": f"服务器 srv-{pod}-{i}", "attr.os": "Linux",
                                "attr.cpu_count": rng.choice(["16", "32", "64"]), "attr.ram_gb": "256",
                                "attr.ip_address": ip(number), "attr.serial_number": f"SV{number:07d}"})
                elif kind == "vm":
                    row.update({"class": "virtual_machine", "name": f"虚拟机 vm-{pod}-{i}",
                                "attr.os": rng.choice(["Linux", "Linux", "Windows Server"]),
                                "attr.cpu_count": rng.choice(["2", "4", "8"]), "attr.ip_address": ip(number)})
                elif kind == "app":
                    if i % 5 == 0:
                        row.update({"class": "database", "name": f"数据库 db-{pod}-{i}",
                                    "attr.engine": rng.choice(["PostgreSQL", "Oracle", "MySQL"])})
                    else:
                        row.update({"class": "application", "name": f"应用 app-{pod}-{i}",
                                    "attr.criticality": rng.choice(["high 高", "medium 中", "low 低"])})
                elif kind == "service":
                    row.update({"class": "business_service" if i % 2 else "technical_service",
                                "name": f"服务 service-{pod}-{i}", "attr.service_level": "Gold 金牌"})
                elif kind == "desktop":
                    row.update({"class": "desktop", "name": f"台式机 pc-{pod}-{i}", "attr.os": "Windows 11",
                                "attr.asset_tag": f"PC{number:07d}", "attr.serial_number": f"PC-SN{number:07d}"})
                elif kind == "contract":
                    row.update({"class": "contract", "name": f"合同 contract-{pod}-{i}",
                                "attr.contract_number": f"HT-{number:07d}"})
                else:
                    row.update({"class": "document", "name": f"文档 doc-{pod}-{i}",
                                "attr.doc_type": "runbook 运维手册"})
                writer.writerow([row[c] for c in columns])
    return out.getvalue().encode()


def relationship_rows(pods, rng):
    """(source key, type code, target key) of the ~500,000 links (see the module docstring)."""
    for pod in range(pods):
        def k(kind, i, pod=pod):
            return key(pod, kind, i)

        others = [k("server", i) for i in range(POD["server"])] + [k("vm", i) for i in range(POD["vm"])] + \
            [k("app", i) for i in range(POD["app"])] + [k("service", i) for i in range(POD["service"])] + \
            [k("desktop", i) for i in range(POD["desktop"])]
        for i in range(POD["server"]):
            yield k("server", i), "connects_to", k("switch", 0)
            yield k("server", i), "connects_to", k("switch", 1)
        for i in range(POD["vm"]):
            yield k("vm", i), "hosted_on", k("server", i % POD["server"])
        for i in range(POD["app"]):
            for vm in rng.sample(range(POD["vm"]), 2):
                yield k("app", i), "runs_on", k("vm", vm)
            for earlier in (rng.sample(range(i), 2) if i >= 2 else []):
                yield k("app", i), "depends_on", k("app", earlier)
        for i in range(POD["service"]):
            for app in rng.sample(range(POD["app"]), 10):
                yield k("service", i), "depends_on", k("app", app)
        for i in range(POD["desktop"]):
            yield k("desktop", i), "connects_to", k("switch", 0)
            yield k("desktop", i), "connects_to", k("switch", 1)
        for n, source in enumerate(others):
            yield source, "covered_by", k("contract", n % POD["contract"])
            yield source, "documented_by", k("document", n % POD["document"])
        for i in range(POD["vm"]):
            yield k("vm", i), "backed_up_by", k("server", (i + 7) % POD["server"])
        for i in range(POD["app"]):
            yield k("app", i), "backed_up_by", k("server", (i + 3) % POD["server"])


def copy_relationships(rows, chunk=5000):
    """Write the links with COPY, a transaction per chunk (the history triggers still record each one)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from cmdb.models import ConfigurationItem, Relationship, RelationshipType

    ids = dict(ConfigurationItem.objects.filter(external_source=SOURCE).values_list("external_key", "pk"))
    types = dict(RelationshipType.objects.values_list("code", "pk"))
    now = timezone.now()
    columns = "source_id, target_id, type_id, external_source, created_at, last_seen_at"
    rows = list(rows)
    for start in range(0, len(rows), chunk):
        with transaction.atomic(), connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY {Relationship._meta.db_table} ({columns}) FROM STDIN") as copy:
                for source, code, target in rows[start:start + chunk]:
                    copy.write_row((ids[source], ids[target], types[code], SOURCE, now, now))
    return len(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.cmdb", description=__doc__.split("\n")[0])
    parser.add_argument("--pods", type=int, default=20, help="pods of 5,000 CIs (default 20: 100,000 CIs)")
    parser.add_argument("--requests", type=int, default=200, help="timed calls per measure (default 200)")
    parser.add_argument("--fresh", action="store_true", help="empty the CMDB tables first")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    setup_django(database_url())
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from cmdb import graph, importer
    from cmdb.management.commands.seed_cmdb_demo import Command as SeedCommand
    from cmdb.models import ConfigurationItem, Relationship
    from servicedesk.management.commands.seed_demo import seed_reference_data

    from . import measure

    cast = seed_reference_data()
    agent = cast.users["agent"]
    token = Token.objects.get_or_create(user=agent)[0].key
    SeedCommand().seed_classes()
    SeedCommand().seed_types()
    figures = {"machine": measure.machine(), "pods": args.pods, "targets": TARGETS}
    rng = random.Random(2025)
    if args.fresh:
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE cmdb_relationship, cmdb_relationshipevent, cmdb_configurationitem, "
                           "cmdb_configurationitemevent, cmdb_importjob RESTART IDENTITY CASCADE")
    data = estate_csv(args.pods, rng)
    print(f"CI file: {len(data) / 1e6:.1f} MB, {args.pods * sum(POD.values())} rows", flush=True)
    for label in ("import", "reimport"):
        started = time.monotonic()
        job = importer.create_job(actor=agent, file=SimpleUploadedFile("estate.csv", data), external_source=SOURCE)
        job = importer.run_job(job.pk)
        seconds = time.monotonic() - started
        figures[label] = {"seconds": round(seconds, 1), "cis": job.summary.get("cis"), "error": job.error}
        print(f"{label}: {seconds:.1f} s {job.summary.get('cis')} {job.error}", flush=True)
    if not Relationship.objects.filter(external_source=SOURCE).exists():
        started = time.monotonic()
        count = copy_relationships(relationship_rows(args.pods, random.Random(7)))
        figures["relationships"] = {"count": count, "seconds": round(time.monotonic() - started, 1)}
        print(f"relationships: {count} in {figures['relationships']['seconds']} s", flush=True)
    with connection.cursor() as cursor:  # as autovacuum would after a bulk load: statistics and the visibility map
        cursor.execute("VACUUM ANALYZE cmdb_configurationitem")
        cursor.execute("VACUUM ANALYZE cmdb_relationship")
    figures["rows"] = {"cis": ConfigurationItem.objects.count(), "relationships": Relationship.objects.count()}

    switches = list(ConfigurationItem.objects.filter(external_source=SOURCE, external_key__endswith="-switch-0000")
                    .values_list("pk", flat=True))
    sizes = [len(graph.dependants([pk])) for pk in switches[:3]]
    figures["impact_dependants"] = sizes
    print(f"dependants of a core switch: {sizes}", flush=True)
    def timed(function, repeat=args.requests):
        return measure.summary(measure.time_calls(function, repeat))

    figures["impact_down"] = timed(lambda: graph.dependants([rng.choice(switches)]))
    print(f"impact down (function): {figures['impact_down']}", flush=True)
    services = list(ConfigurationItem.objects.filter(external_source=SOURCE, ci_class__is_service=True)
                    .values_list("pk", flat=True)[:200])
    figures["impact_up"] = timed(lambda: graph.dependencies([rng.choice(services)]))
    figures["affected_services"] = timed(lambda: graph.affected_services([rng.choice(switches)]),
                                         max(20, args.requests // 10))
    print(f"impact up: {figures['impact_up']}; affected services: {figures['affected_services']}", flush=True)

    api = "/api/v1/cmdb/cis/"
    one_ip = ConfigurationItem.objects.filter(external_key=key(args.pods - 1, "vm", 17)).values_list(
        "attributes__ip_address", flat=True).get()
    scenarios = [
        measure.Scenario("CI list API ?attr=os:Windows Server", "GET", f"{api}?attr=os:Windows%20Server", "token"),
        measure.Scenario("CI list API ?attr=ip_address:<one>", "GET", f"{api}?attr=ip_address:{one_ip}", "token"),
        measure.Scenario("CI list API ?attributes__engine=Oracle&state=in_use", "GET",
                         f"{api}?attributes__engine=Oracle&state=in_use", "token"),
        measure.Scenario("CI list API ?attr=cpu_count:64&ci_class=server", "GET",
                         f"{api}?attr=cpu_count:64&ci_class=server", "token"),
        measure.Scenario("Impact API (down, 4,980 dependants)", "GET",
                         lambda index: f"{api}{switches[index % len(switches)]}/impact/", "token"),
    ]
    for scenario in scenarios:
        queries, rows, _sql = measure.count_queries(scenario.path_for(0), user=agent, token=token)
        scenario.results["queries"] = {"queries": queries, "rows": rows}
    with measure.Server(workers=2) as server:
        clients = {"token": measure.HttpClient(server.port, token=token)}
        measure.run_timings(scenarios, clients, requests=args.requests, warmup=10)
    figures["api"] = [{"name": s.name, **{k: (round(v, 1) if isinstance(v, float) else v)
                                          for k, v in s.results.items()}} for s in scenarios]
    for entry in figures["api"]:
        print(f"{entry['name']}: median {entry['median_ms']} ms, p95 {entry['p95_ms']} ms, "
              f"queries {entry['queries']}", flush=True)
    print(json.dumps({k: figures[k] for k in ("import", "reimport", "impact_down", "impact_up")}, ensure_ascii=False))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(figures, handle, indent=2, default=str, ensure_ascii=False)


if __name__ == "__main__":
    main()
