"""The demo CMDB as data: CI classes with their attributes, relationship types, and a small realistic estate (a head
office data centre, two branches and a customer), named in Chinese and English like the rest of the demo.

Read by `manage.py seed_cmdb_demo`, which loads the estate through the importer (source "demo"), so seeding twice
changes nothing. These are sample records, not interface strings, so they are not marked for translation.
"""

TEXT, INT, DEC, BOOL = "string", "integer", "decimal", "boolean"
DATE, CHOICE, IP, URL = "date", "choice", "ip_address", "url"
OS_SERVER = ["Linux", "Windows Server", "AIX"]
OS_CLIENT = ["Windows 11", "Windows 10", "UOS 统信", "macOS"]
LEVELS = ["Gold 金牌", "Silver 银牌", "Bronze 铜牌"]


def attr(key, label, kind=TEXT, *, required=False, unique=False, choices=()):
    return {"key": key, "label": label, "type": kind, "required": required, "unique": unique,
            "choices": list(choices)}


# (code, name, parent code, is a service, colour, description, attributes)
CLASSES = [
    ("hardware", "硬件 Hardware", None, False, "#6c757d", "Physical equipment with a serial number.", [
        attr("serial_number", "序列号 Serial number", unique=True), attr("manufacturer", "厂商 Manufacturer"),
        attr("model", "型号 Model"), attr("purchase_date", "采购日期 Purchase date", DATE),
        attr("warranty_until", "保修截止 Warranty until", DATE)]),
    ("server", "服务器 Server", "hardware", False, "#1f77b4", "A physical server.", [
        attr("os", "操作系统 Operating system", CHOICE, required=True, choices=OS_SERVER),
        attr("cpu_count", "CPU 数 CPUs", INT), attr("ram_gb", "内存 Memory (GB)", DEC),
        attr("ip_address", "IP 地址 IP address", IP, unique=True), attr("rack", "机柜 Rack")]),
    ("network_device", "网络设备 Network device", "hardware", False, "#ff7f0e", "Switches, routers, firewalls.", [
        attr("device_type", "设备类型 Device type", CHOICE, required=True,
             choices=["switch 交换机", "router 路由器", "firewall 防火墙", "load balancer 负载均衡",
                      "wireless controller 无线控制器"]),
        attr("ip_address", "管理地址 Management IP", IP, unique=True), attr("port_count", "端口数 Ports", INT),
        attr("firmware", "固件版本 Firmware")]),
    ("desktop", "台式机 Desktop", "hardware", False, "#8c564b", "", [
        attr("os", "操作系统 Operating system", CHOICE, choices=OS_CLIENT), attr("asset_tag", "资产编号 Asset tag",
                                                                           unique=True)]),
    ("laptop", "笔记本电脑 Laptop", "hardware", False, "#e377c2", "", [
        attr("os", "操作系统 Operating system", CHOICE, choices=OS_CLIENT),
        attr("asset_tag", "资产编号 Asset tag", unique=True), attr("disk_encrypted", "磁盘加密 Disk encrypted", BOOL)]),
    ("mobile_device", "移动设备 Mobile device", "hardware", False, "#bcbd22", "", [
        attr("platform", "平台 Platform", CHOICE, choices=["iOS", "Android", "HarmonyOS 鸿蒙"]),
        attr("imei", "IMEI", unique=True), attr("phone_number", "电话号码 Phone number")]),
    ("virtual_machine", "虚拟机 Virtual machine", None, False, "#17becf", "", [
        attr("os", "操作系统 Operating system", CHOICE, required=True, choices=OS_SERVER),
        attr("cpu_count", "vCPU 数 vCPUs", INT), attr("ram_gb", "内存 Memory (GB)", DEC),
        attr("ip_address", "IP 地址 IP address", IP, unique=True),
        attr("hypervisor", "虚拟化平台 Hypervisor", CHOICE, choices=["VMware vSphere", "KVM", "Hyper-V"])]),
    ("application", "应用系统 Application", None, False, "#2ca02c", "Software the business uses.", [
        attr("vendor", "厂商 Vendor"), attr("version", "版本 Version"), attr("url", "访问地址 URL", URL),
        attr("criticality", "重要性 Criticality", CHOICE, choices=["high 高", "medium 中", "low 低"])]),
    ("database", "数据库 Database", None, False, "#9467bd", "", [
        attr("engine", "数据库类型 Engine", CHOICE, required=True,
             choices=["PostgreSQL", "Oracle", "MySQL", "SQL Server", "达梦 DM"]),
        attr("version", "版本 Version"), attr("port", "端口 Port", INT), attr("size_gb", "容量 Size (GB)", DEC)]),
    ("business_service", "业务服务 Business service", None, True, "#d62728", "A service customers use.", [
        attr("service_level", "服务级别 Service level", CHOICE, choices=LEVELS),
        attr("service_hours", "服务时间 Service hours")]),
    ("technical_service", "技术服务 Technical service", None, True, "#e6550d", "A service IT provides to IT.", [
        attr("service_level", "服务级别 Service level", CHOICE, choices=LEVELS)]),
    ("document", "文档 Document", None, False, "#7f7f7f", "", [
        attr("doc_type", "文档类型 Type", CHOICE, choices=["manual 手册", "runbook 运维手册", "policy 制度",
                                                    "architecture 架构图"]),
        attr("url", "链接 Link", URL), attr("review_date", "复审日期 Review date", DATE)]),
    ("contract", "合同 Contract", None, False, "#393b79", "Maintenance and supply contracts.", [
        attr("contract_number", "合同编号 Contract number", required=True, unique=True),
        attr("supplier", "供应商 Supplier"), attr("start_date", "开始日期 Start", DATE),
        attr("end_date", "结束日期 End", DATE), attr("annual_cost", "年费用 Annual cost (CNY)", DEC)]),
    ("telecom_line", "电信线路 Telecom line", None, False, "#637939", "", [
        attr("carrier", "运营商 Carrier", CHOICE, choices=["中国电信 China Telecom", "中国联通 China Unicom",
                                                     "中国移动 China Mobile"]),
        attr("circuit_id", "电路编号 Circuit ID", unique=True), attr("bandwidth_mbps", "带宽 Bandwidth (Mbps)", INT),
        attr("line_type", "线路类型 Line type", CHOICE,
             choices=["MPLS", "Internet 互联网", "SD-WAN", "专线 leased line"])]),
]

# (code, name, forward, reverse, propagates impact, allows cycles, source class codes, target class codes)
RELATIONSHIP_TYPES = [
    ("runs_on", "运行于 Runs on", "运行于 runs on", "承载 hosts", True, False,
     ["application", "database", "technical_service"], ["hardware", "virtual_machine"]),
    ("hosted_on", "托管于 Hosted on", "托管于 is hosted on", "托管 hosts", True, False,
     ["virtual_machine"], ["server"]),
    ("depends_on", "依赖 Depends on", "依赖 depends on", "被依赖 is depended on by", True, True, [], []),
    ("connects_to", "连接 Connects to", "连接到 connects to", "接入 connects", True, True,
     ["hardware"], ["network_device", "telecom_line"]),
    ("part_of", "属于 Part of", "属于 is part of", "包含 has part", False, False, [], []),
    ("backed_up_by", "备份 Backed up by", "备份至 is backed up by", "备份 backs up", False, True,
     [], ["server", "technical_service"]),
    ("covered_by", "合同保障 Covered by", "受合同保障 is covered by", "保障 covers", False, True, [], ["contract"]),
    ("documented_by", "文档 Documented by", "见文档 is documented by", "记录 documents", False, True, [],
     ["document"]),
]


def ci(key, cls, name, org=None, group=None, owner=None, location="", state="", **attributes):
    row = {"class": cls, "external_key": key, "name": name, "attributes": attributes}
    row.update({k: v for k, v in (("organisation", org), ("support_group", group), ("owner", owner),
                                  ("location", location), ("state", state)) if v})
    return row


NET, APPS, DBA, DESK = ("网络运维 Network operations", "应用支持 Application support", "数据库 DBA",
                        "桌面支持 Desktop support")
DC = "总部数据中心 HQ data centre"
ESTATE = [
    ci("line-internet", "telecom_line", "总部互联网出口 HQ internet line", "hq", NET, "chen.jing", DC,
       carrier="中国联通 China Unicom", circuit_id="CU-SH-0091", bandwidth_mbps=1000, line_type="Internet 互联网"),
    ci("line-mpls", "telecom_line", "沪京 MPLS 专线 Shanghai–Beijing MPLS", "hq", NET, "chen.jing", DC,
       carrier="中国电信 China Telecom", circuit_id="CT-MPLS-7781", bandwidth_mbps=200, line_type="MPLS"),
    ci("rt-01", "network_device", "出口路由器 RT-01 edge router", "hq", NET, "yang.lei", DC,
       device_type="router 路由器", ip_address="10.0.0.1", serial_number="HW-RT-20311", manufacturer="华为 Huawei"),
    ci("fw-01", "network_device", "防火墙 FW-01 firewall", "hq", NET, "yang.lei", DC,
       device_type="firewall 防火墙", ip_address="10.0.0.2", serial_number="HS-FW-88120", manufacturer="华三 H3C"),
    ci("sw-core-a", "network_device", "核心交换机 A core switch", "hq", NET, "david.miller", DC,
       device_type="switch 交换机", ip_address="10.0.0.11", port_count=48, serial_number="HW-SW-5561"),
    ci("sw-core-b", "network_device", "核心交换机 B core switch", "hq", NET, "david.miller", DC,
       device_type="switch 交换机", ip_address="10.0.0.12", port_count=48, serial_number="HW-SW-5562"),
    ci("rt-sh", "network_device", "上海分公司路由器 Shanghai branch router", "shanghai", NET, "yang.lei",
       "上海分公司 Shanghai office", device_type="router 路由器", ip_address="10.20.0.1", serial_number="HW-RT-40219"),
    ci("rt-bj", "network_device", "北京分公司路由器 Beijing branch router", "beijing", NET, "yang.lei",
       "北京分公司 Beijing office", device_type="router 路由器", ip_address="10.30.0.1", serial_number="HW-RT-40220"),
    ci("esx-01", "server", "虚拟化主机 esx-01", "hq", NET, "david.miller", DC, os="Linux", cpu_count=64, ram_gb="512",
       ip_address="10.0.1.11", serial_number="DL-R750-0001", manufacturer="Dell", rack="A-03"),
    ci("esx-02", "server", "虚拟化主机 esx-02", "hq", NET, "david.miller", DC, os="Linux", cpu_count=64, ram_gb="512",
       ip_address="10.0.1.12", serial_number="DL-R750-0002", manufacturer="Dell", rack="A-03"),
    ci("db-phys-01", "server", "数据库服务器 db-phys-01", "hq", DBA, "zhou.jie", DC, os="Linux", cpu_count=48,
       ram_gb="768", ip_address="10.0.1.21", serial_number="IN-NF5280-77", manufacturer="浪潮 Inspur", rack="A-05"),
    ci("bak-01", "server", "备份服务器 bak-01 backup server", "hq", DBA, "wu.ting", DC, os="Linux", cpu_count=16,
       ram_gb="128", ip_address="10.0.1.31", serial_number="HW-2288-310", rack="B-01"),
    ci("vm-web-01", "virtual_machine", "门户 Web 服务器 web-01", "hq", APPS, "huang.qiang", DC, os="Linux",
       cpu_count=4, ram_gb="8", ip_address="10.0.2.11", hypervisor="VMware vSphere"),
    ci("vm-web-02", "virtual_machine", "门户 Web 服务器 web-02", "hq", APPS, "huang.qiang", DC, os="Linux",
       cpu_count=4, ram_gb="8", ip_address="10.0.2.12", hypervisor="VMware vSphere"),
    ci("vm-erp-app", "virtual_machine", "ERP 应用服务器 erp-app-01", "hq", APPS, "zhao.min", DC,
       os="Windows Server", cpu_count=8, ram_gb="32", ip_address="10.0.2.21", hypervisor="VMware vSphere"),
    ci("vm-mail", "virtual_machine", "邮件服务器 mail-01", "hq", APPS, "zhao.min", DC, os="Linux", cpu_count=8,
       ram_gb="32", ip_address="10.0.2.31", hypervisor="VMware vSphere"),
    ci("vm-ad-01", "virtual_machine", "域控制器 dc-01", "hq", APPS, "emily.carter", DC, os="Windows Server",
       cpu_count=4, ram_gb="16", ip_address="10.0.2.41", hypervisor="VMware vSphere"),
    ci("vm-hr", "virtual_machine", "人力资源服务器 hr-01", "hq", APPS, "zhao.min", DC, os="Linux", cpu_count=4,
       ram_gb="16", ip_address="10.0.2.51", hypervisor="VMware vSphere", state="maintenance"),
    ci("vm-file", "virtual_machine", "文件服务器 file-01", "shanghai", APPS, "emily.carter", DC,
       os="Windows Server", cpu_count=4, ram_gb="16", ip_address="10.0.2.61", hypervisor="VMware vSphere"),
    ci("db-erp", "database", "ERP 数据库 erpdb", "hq", DBA, "zhou.jie", DC, engine="Oracle", version="19c",
       port=1521, size_gb="850"),
    ci("db-hr", "database", "人力资源数据库 hrdb", "hq", DBA, "oliver.smith", DC, engine="MySQL", version="8.0",
       port=3306, size_gb="40"),
    ci("db-portal", "database", "门户数据库 portaldb", "hq", DBA, "oliver.smith", DC, engine="PostgreSQL",
       version="16", port=5432, size_gb="25"),
    ci("app-erp", "application", "ERP 系统 ERP system", "hq", APPS, "sophie.martin", vendor="用友 Yonyou",
       version="U8+ 16.0", criticality="high 高", url="https://erp.example.com/"),
    ci("app-mail", "application", "邮件系统 Mail system", "hq", APPS, "zhao.min", vendor="Coremail",
       version="XT6", criticality="high 高", url="https://mail.example.com/"),
    ci("app-portal", "application", "门户网站 Public website", "hq", APPS, "huang.qiang", criticality="medium 中",
       url="https://www.example.com/"),
    ci("app-hr", "application", "人力资源系统 HR system", "beijing", APPS, "sophie.martin", vendor="北森 Beisen",
       criticality="medium 中"),
    ci("app-oa", "application", "OA 办公自动化 Office automation", "shanghai", APPS, "zhao.min",
       vendor="泛微 Weaver", criticality="medium 中"),
    ci("app-ad", "application", "AD 域服务 Active Directory", "hq", APPS, "emily.carter", vendor="Microsoft",
       criticality="high 高"),
    ci("app-dns", "application", "DNS 域名解析 DNS", "hq", NET, "yang.lei", criticality="high 高"),
    ci("app-logistics", "application", "物流跟踪系统 Logistics tracking", "ecl", APPS, "huang.qiang",
       criticality="high 高", url="https://track.example.com/"),
    ci("ts-network", "technical_service", "网络服务 Network service", "hq", NET, "chen.jing",
       service_level="Gold 金牌"),
    ci("ts-identity", "technical_service", "身份认证服务 Identity service", "hq", APPS, "emily.carter",
       service_level="Gold 金牌"),
    ci("ts-backup", "technical_service", "备份服务 Backup service", "hq", DBA, "zhou.jie",
       service_level="Silver 银牌"),
    ci("bs-finance", "business_service", "财务服务 Finance", "hq", APPS, "manager", service_level="Gold 金牌",
       service_hours="周一至周五 8:00–20:00 Mon–Fri"),
    ci("bs-email", "business_service", "电子邮件服务 E-mail", "hq", APPS, "manager", service_level="Gold 金牌",
       service_hours="7×24"),
    ci("bs-hr", "business_service", "人力资源服务 HR", "beijing", APPS, "manager", service_level="Silver 银牌"),
    ci("bs-collab", "business_service", "协同办公服务 Collaboration", "shanghai", APPS, "manager",
       service_level="Silver 银牌"),
    ci("bs-website", "business_service", "对外门户服务 Public website", "hq", APPS, "manager",
       service_level="Bronze 铜牌"),
    ci("bs-logistics", "business_service", "物流跟踪服务 Shipment tracking", "ecl", APPS, "manager",
       service_level="Gold 金牌", service_hours="7×24"),
    ci("pc-hq-0012", "desktop", "总部财务部台式机 HQ finance PC 0012", "hq", DESK, "liu.yang", "总部 3F",
       os="Windows 11", asset_tag="ZB-PC-0012", serial_number="LN-M90T-1234", manufacturer="联想 Lenovo"),
    ci("pc-sh-0031", "desktop", "上海前台台式机 Shanghai reception PC", "shanghai", DESK, "tom.baker",
       "上海分公司 Shanghai office", os="UOS 统信", asset_tag="SH-PC-0031", serial_number="LN-M70-5521"),
    ci("lt-bj-0107", "laptop", "北京销售笔记本 Beijing sales laptop", "beijing", DESK, "liu.yang",
       os="Windows 11", asset_tag="BJ-NB-0107", disk_encrypted="yes", serial_number="LN-T14-0107"),
    ci("lt-hq-0201", "laptop", "总经理笔记本 CEO laptop", "hq", DESK, "tom.baker", os="macOS",
       asset_tag="ZB-NB-0201", disk_encrypted="yes", serial_number="AP-MBP-0201", state="in_stock"),
    ci("mob-hq-0005", "mobile_device", "值班手机 On-call phone", "hq", DESK, "tom.baker", platform="HarmonyOS 鸿蒙",
       imei="861234050000051", phone_number="+86 138 0000 0005", serial_number="HW-P60-0005"),
    ci("pc-old-0001", "desktop", "旧台式机 Retired PC 0001", "hq", DESK, None, "仓库 Store room", os="Windows 10",
       asset_tag="ZB-PC-0001", serial_number="LN-OLD-0001", state="retired"),
    ci("doc-erp-runbook", "document", "ERP 运维手册 ERP runbook", "hq", APPS, "sophie.martin",
       doc_type="runbook 运维手册", url="https://wiki.example.com/erp/runbook", review_date="2025-06-30"),
    ci("doc-net-arch", "document", "网络拓扑图 Network architecture", "hq", NET, "chen.jing",
       doc_type="architecture 架构图", url="https://wiki.example.com/network"),
    ci("ct-dell", "contract", "戴尔服务器维保 Dell server maintenance", "hq", NET, "manager",
       contract_number="HT-2024-0193", supplier="戴尔中国 Dell China", start_date="2024-01-01",
       end_date="2026-12-31", annual_cost="186000"),
    ci("ct-telecom", "contract", "电信专线合同 China Telecom MPLS contract", "hq", NET, "manager",
       contract_number="HT-2023-0412", supplier="中国电信 China Telecom", start_date="2023-07-01",
       end_date="2026-06-30", annual_cost="240000"),
]


def _links(type_code, *pairs):
    return [{"source_key": s, "type": type_code, "target_key": t} for s, t in pairs]


RELATIONSHIPS = [
    *_links("depends_on", ("bs-finance", "app-erp"), ("bs-email", "app-mail"), ("bs-hr", "app-hr"),
            ("bs-collab", "app-oa"), ("bs-collab", "vm-file"), ("bs-website", "app-portal"),
            ("bs-logistics", "app-logistics"), ("app-erp", "db-erp"), ("app-hr", "db-hr"),
            ("app-portal", "db-portal"), ("app-erp", "ts-identity"), ("app-mail", "ts-identity"),
            ("app-oa", "ts-identity"), ("ts-identity", "app-ad"), ("app-ad", "app-dns"), ("app-dns", "app-ad"),
            ("app-logistics", "ts-network"), ("ts-network", "sw-core-a"), ("ts-network", "sw-core-b"),
            ("app-oa", "line-mpls"), ("ts-backup", "bak-01")),
    *_links("runs_on", ("app-erp", "vm-erp-app"), ("app-mail", "vm-mail"), ("app-portal", "vm-web-01"),
            ("app-portal", "vm-web-02"), ("app-hr", "vm-hr"), ("app-oa", "vm-web-02"), ("app-ad", "vm-ad-01"),
            ("app-dns", "vm-ad-01"), ("app-logistics", "vm-web-01"), ("db-erp", "db-phys-01"),
            ("db-hr", "vm-hr"), ("db-portal", "vm-web-02")),
    *_links("hosted_on", ("vm-web-01", "esx-01"), ("vm-web-02", "esx-02"), ("vm-erp-app", "esx-01"),
            ("vm-mail", "esx-02"), ("vm-ad-01", "esx-01"), ("vm-hr", "esx-02"), ("vm-file", "esx-01")),
    *_links("connects_to", ("esx-01", "sw-core-a"), ("esx-01", "sw-core-b"), ("esx-02", "sw-core-a"),
            ("esx-02", "sw-core-b"), ("db-phys-01", "sw-core-a"), ("db-phys-01", "sw-core-b"),
            ("bak-01", "sw-core-a"), ("sw-core-a", "fw-01"), ("sw-core-b", "fw-01"), ("fw-01", "rt-01"),
            ("rt-01", "line-internet"), ("rt-sh", "line-mpls"), ("rt-bj", "line-mpls"),
            ("pc-hq-0012", "sw-core-a"), ("pc-sh-0031", "rt-sh"), ("lt-bj-0107", "rt-bj")),
    *_links("backed_up_by", ("db-erp", "ts-backup"), ("db-hr", "ts-backup"), ("vm-file", "ts-backup")),
    *_links("covered_by", ("esx-01", "ct-dell"), ("esx-02", "ct-dell"), ("line-mpls", "ct-telecom")),
    *_links("documented_by", ("app-erp", "doc-erp-runbook"), ("sw-core-a", "doc-net-arch"),
            ("sw-core-b", "doc-net-arch")),
]
