"""Rules extractor: one behaviour per test, on titles written for these tests."""

from __future__ import annotations

from typing import Any

import pytest

from core.extract.rules import extract_rules
from core.extract.schemas import ATTRIBUTE_MODELS, Extraction
from core.models import ComponentType, Condition, Marketplace

RAM = ComponentType.RAM
DRIVE = ComponentType.DRIVE
SERVER = ComponentType.SERVER
CPU = ComponentType.CPU
NIC = ComponentType.NIC
GPU = ComponentType.GPU
WORKSTATION = ComponentType.WORKSTATION
DESKTOP = ComponentType.DESKTOP
OTHER = ComponentType.OTHER


def has(result: Extraction, **expected: Any) -> bool:
    """Whether every expected attribute is present with exactly that value."""
    return all(result.attributes.get(name) == value for name, value in expected.items())


# --- public API -------------------------------------------------------------------------


def test_returns_a_valid_extraction_for_any_text() -> None:
    for title in ("", "   ", "???", "x" * 300, "Dell R740 " * 20):
        result = extract_rules(title)
        assert isinstance(result, Extraction)
        assert 0.0 <= result.confidence <= 1.0
        ATTRIBUTE_MODELS[result.component_type].model_validate(result.attributes)


def test_out_of_range_values_are_dropped_not_stored() -> None:
    huge = extract_rules("Seagate 99999TB SATA 3.5in HDD")
    assert "capacity_gb" not in huge.attributes
    assert huge.confidence < 0.8
    ddr2 = extract_rules("2GB DDR2 PC2-5300F FB-DIMM Server Memory")
    assert "speed_mhz" not in ddr2.attributes  # 667 MT/s is below the schema's floor


def test_is_deterministic() -> None:
    title = "Lot of 4 Samsung 32GB DDR4 2933 RDIMM Server RAM"
    assert extract_rules(title) == extract_rules(title)


def test_accepts_marketplace_categories_and_specifics() -> None:
    result = extract_rules(
        "Samsung 32GB DDR4 RDIMM",
        Marketplace.EBAY_DE,
        category_ids=("170083",),
        item_specifics={"Bus Speed": "PC4-21300"},
    )
    assert result.component_type is RAM
    assert has(result, speed_mhz=2666)


# --- accessories ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "title",
    [
        "Dell PowerEdge R650 Sliding Ready Rails Kit 770-BECC",
        "HPE ProLiant DL360 Gen10 Plus Front Bezel with Lock",
        "Dell R640 2.5in Hot Swap Drive Caddy Tray 0X7K8W Lot of 10",
        "Lenovo ThinkSystem SR630 Riser Card 1 01PF160",
        "Dell PowerEdge R640 CPU Heatsink Standard 0YY2R8",
        "HPE DL380 Gen10 Hot Plug Fan Module 875075-001",
        "Dell PowerEdge R740 1100W Platinum Power Supply 0CMPGM",
        "Supermicro X11SPi-TF Motherboard LGA3647 ATX",
        "Dell PERC H740P 8GB Cache RAID Controller Adapter",
        "LSI 9207-8i 6Gbps SAS HBA Card IT Mode",
        "Finisar 10GBASE-SR SFP+ Optical Transceiver 850nm",
        "NVIDIA Tesla V100 GPU Power Cable 8-pin CPU to PCIe",
        "Dell PowerEdge R730xd 12-Bay 3.5in SAS Backplane 0JJTTK",
        "Empty Lot Server Parts Screws Blanks Covers",
        "HP Z840 Workstation Side Access Panel",
        "Dell R740 iDRAC9 Enterprise License Card",
        "Dell Poweredge R630 Netzteil 750W gebraucht",
        "HPE DL380 Gen9 Schienen Rail Kit",
    ],
)
def test_accessories_named_after_a_product_are_other(title: str) -> None:
    assert extract_rules(title).component_type is OTHER


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("Dell PowerEdge R650 1U 2x Silver 4310 128GB 8x SFF Ready Rails", SERVER),
        ("HPE DL380 Gen10 2x Gold 6130 256GB w/ 2x 800W PSU and Bezel", SERVER),
        ("Dell R740 2U Barebone No CPU No RAM Dual PSU", SERVER),
        ("Seagate 2TB 7.2K SAS 3.5in HDD 0NWH7V Caddy", DRIVE),
        ("Samsung PM883 960GB SATA 2.5in SSD with Dell Tray", DRIVE),
        ("NVIDIA T1000 8GB Low Profile GPU w/ Full Height Bracket", GPU),
        ("Intel X710-DA2 10GbE Dual Port SFP+ Adapter Low Profile Bracket", NIC),
        ("Mellanox ConnectX-4 Lx 25GbE Dual Port SFP28 with 2x SR Transceivers", NIC),
    ],
)
def test_included_accessories_do_not_make_the_item_other(title: str, kind: ComponentType) -> None:
    assert extract_rules(title).component_type is kind


def test_a_nic_with_sfp_ports_is_not_a_transceiver() -> None:
    assert extract_rules("Intel X520-SR2 10GbE Dual SFP+ Port NIC").component_type is NIC
    assert extract_rules("Intel SFP+ SR Transceiver Module E10GSFPSR").component_type is OTHER


def test_part_named_for_a_system_is_the_part_not_the_system() -> None:
    ram = extract_rules("Hynix 32GB DDR4 2666 RDIMM for Dell PowerEdge R740 R640 Server")
    assert ram.component_type is RAM
    drive = extract_rules("Dell 1.2TB 10K SAS 2.5in HDD fits PowerEdge R730 R630")
    assert drive.component_type is DRIVE


def test_bundles_of_several_components_are_other() -> None:
    combo = extract_rules("Intel Xeon E5-2690 v3 + 32GB DDR4 + X99 Motherboard Combo")
    assert combo.component_type is OTHER
    single = extract_rules("Bundle of 8 Micron 16GB DDR4 2400 ECC RDIMM")
    assert single.component_type is RAM
    assert single.quantity == 8


def test_laptops_are_other_but_laptop_parts_are_parts() -> None:
    assert extract_rules("Dell Latitude 7400 i5-8365U 16GB 512GB").component_type is OTHER
    assert extract_rules("Crucial 16GB DDR4 3200 Laptop Memory SODIMM").component_type is RAM
    assert extract_rules("Samsung 1TB 2.5in SATA SSD Laptop Upgrade").component_type is DRIVE


def test_transceivers_by_part_number_are_other() -> None:
    assert extract_rules("Cisco SFP-10G-LR Genuine 10GBASE-LR").component_type is OTHER
    assert extract_rules("Arista QSFP-100G-SR4 Optic").component_type is OTHER


def test_vague_part_nouns_are_other_but_sent_on() -> None:
    result = extract_rules("Dell PowerEdge R740 Power Distribution Board 0TR6R4")
    assert result.component_type is OTHER
    assert result.confidence < 0.8


def test_category_motherboards_make_other() -> None:
    assert extract_rules("ASUS Pro WS board", category_ids=("1244",)).component_type is OTHER


# --- quantity ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "capacity", "quantity"),
    [
        ("Kingston 32GB Kit (2x16GB) DDR4 3200 Desktop Memory", 16, 2),
        ("256GB (8 x 32GB) DDR4-2933 ECC RDIMM Server Memory", 32, 8),
        ("Micron 1TB KIT 16X 64GB PC4-3200AA LRDIMM", 64, 16),
        ("2x 16GB DDR4 2400 ECC REG Samsung", 16, 2),
        ("LOT OF 12 Samsung 8GB PC3L-12800R DDR3 ECC REG", 8, 12),
        ("Hynix 16GB PC4-2400T DDR4 ECC REG 10 Stück", 16, 10),
        ("Lot of 2 Corsair 32GB (2x16GB) DDR4 3600 kits", 16, 4),
        ("Samsung 16GB DDR4 2666 ECC RDIMM", 16, 1),
    ],
)
def test_ram_kits_and_lots(title: str, capacity: int, quantity: int) -> None:
    result = extract_rules(title)
    assert result.component_type is RAM
    assert result.attributes["capacity_gb"] == capacity
    assert result.quantity == quantity


@pytest.mark.parametrize(
    ("title", "quantity"),
    [
        ("Lot 6x 1.2TB 10K SAS 2.5in HDD HGST", 6),
        ("LOT OF 3 Intel Xeon Gold 6140 18 Core CPU", 3),
        ("Matched Pair Intel Xeon E5-2697 v2 12 Core", 2),
        ("Intel Xeon Platinum 8168 24 Core x2", 2),
        ("NEW 4x Intel X520-DA2 10GbE Dual Port SFP+ NIC", 4),
        ("Seagate 4TB SAS 7.2K 3.5in HDD 5 Stk", 5),
        ("(3) NVIDIA Tesla P4 8GB GPU", 3),
        ("Lot of 5 Dell OptiPlex 3070 Micro i5-9500T 8GB", 5),
    ],
)
def test_lot_quantities(title: str, quantity: int) -> None:
    assert extract_rules(title).quantity == quantity


def test_processor_counts_in_a_server_are_not_its_quantity() -> None:
    result = extract_rules("Dell PowerEdge R640 2x Xeon Gold 6130 192GB 2x PSU")
    assert result.component_type is SERVER
    assert result.quantity == 1


# --- RAM --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "speed"),
    [
        ("PC4-21300", 2666),
        ("PC3-12800", 1600),
        ("PC4-25600", 3200),
        ("PC5-38400", 4800),
        ("PC3-10600", 1333),
        ("PC4-19200", 2400),
        ("PC4-23400", 2933),
        ("PC4-17000", 2133),
        ("PC4-2666V", 2666),
        ("PC4-2400T", 2400),
        ("PC4-3200AA", 3200),
        ("PC4-2933Y", 2933),
        ("PC4-2133P", 2133),
        ("PC5-4800B", 4800),
    ],
)
def test_pc_speed_codes(code: str, speed: int) -> None:
    result = extract_rules(f"Micron 16GB 2Rx8 {code} Server Memory")
    assert result.component_type is RAM
    assert result.attributes["speed_mhz"] == speed


@pytest.mark.parametrize(
    ("spelling", "speed"),
    [("DDR4-2666", 2666), ("DDR4 3200MHz", 3200), ("DDR5 5600MT/s", 5600), ("DDR3 1866", 1866)],
)
def test_plain_speed_spellings(spelling: str, speed: int) -> None:
    assert extract_rules(f"Crucial 16GB {spelling} RAM").attributes["speed_mhz"] == speed


@pytest.mark.parametrize(
    ("words", "ecc", "registered"),
    [
        ("DDR4 2666 RDIMM", True, True),
        ("DDR4 2666 LRDIMM", True, True),
        ("DDR4 2666 ECC REG", True, True),
        ("DDR4 2666 ECC Registered", True, True),
        ("DDR4 2666 ECC Unbuffered", True, False),
        ("DDR4 2666 ECC UDIMM", True, False),
        ("DDR4 2666 Non-ECC Unbuffered", False, False),
        ("DDR4 2666 SODIMM Laptop", False, False),
        ("PC3-12800E DDR3", True, False),
        ("PC3L-10600R DDR3", True, True),
        ("PC4-2400T-R DDR4", True, True),
    ],
)
def test_ecc_and_registered(words: str, ecc: bool, registered: bool) -> None:
    result = extract_rules(f"Generic 16GB {words} Memory")
    assert result.attributes["ecc"] is ecc
    assert result.attributes["registered"] is registered


def test_ram_generation_from_codes_and_brand_spellings() -> None:
    assert extract_rules("16GB PC3L-12800R Server RAM").attributes["generation"] == "DDR3"
    assert extract_rules("Lenovo 32GB TruDDR4 2933 RDIMM").attributes["generation"] == "DDR4"
    assert extract_rules("64GB PC5-4800B-RB0 RDIMM").attributes["generation"] == "DDR5"


def test_vendor_part_numbers_fill_module_type() -> None:
    result = extract_rules("Samsung 32GB DDR4 M393A4K40DB3-CWE")
    assert has(result, registered=True, ecc=True, speed_mhz=3200)


def test_server_memory_without_type_words_leaves_ecc_unset() -> None:
    result = extract_rules("32GB DDR4 PC4-3200AA Server Memory Module 2Rx8")
    assert result.component_type is RAM
    assert "ecc" not in result.attributes
    assert "registered" not in result.attributes


# --- drives -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("capacity", "gb"),
    [
        ("1.92TB", 1920),
        ("960GB", 960),
        ("18TB", 18000),
        ("1.2TB", 1200),
        ("3.84TB", 3840),
        ("7.68TB", 7680),
        ("15.36TB", 15360),
        ("480G", 480),
        ("1,92TB", 1920),
    ],
)
def test_drive_capacities_are_decimal_gb(capacity: str, gb: int) -> None:
    result = extract_rules(f"Samsung {capacity} SATA 2.5in SSD Enterprise")
    assert result.component_type is DRIVE
    assert result.attributes["capacity_gb"] == gb


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        (
            "Intel P5510 3.84TB U.2 NVMe PCIe 4.0 SSD",
            {"interface": "NVMe", "form_factor": "2.5", "media": "SSD"},
        ),
        (
            "HGST 8TB SAS 12Gb/s LFF 7.2K Hard Drive",
            {"interface": "SAS", "form_factor": "3.5", "media": "HDD", "rpm": 7200},
        ),
        (
            "Seagate 900GB 10K SFF SAS HDD",
            {"interface": "SAS", "form_factor": "2.5", "media": "HDD", "rpm": 10000},
        ),
        ("HP 300GB 15K SAS 2.5in HDD", {"rpm": 15000, "media": "HDD"}),
        ("WD 6TB 7200RPM SATA 3.5in HDD", {"rpm": 7200, "interface": "SATA"}),
        ("WD 4TB 5400 RPM SATA NAS Hard Drive", {"rpm": 5400, "media": "HDD"}),
        ("Samsung 990 PRO 2TB M.2 2280 NVMe SSD", {"form_factor": "M.2", "interface": "NVMe"}),
    ],
)
def test_drive_interface_form_factor_media_rpm(title: str, expected: dict[str, Any]) -> None:
    result = extract_rules(title)
    assert result.component_type is DRIVE
    assert has(result, **expected)


def test_ssds_never_get_an_rpm() -> None:
    result = extract_rules("Micron 5300 MAX 1.92TB SATA 2.5in SSD")
    assert "rpm" not in result.attributes
    assert result.attributes["media"] == "SSD"


def test_add_in_card_ssd_has_no_form_factor() -> None:
    result = extract_rules("Intel DC P3600 1.6TB NVMe HHHL PCIe Add-in Card SSD")
    assert "form_factor" not in result.attributes
    assert result.confidence >= 0.8


# --- servers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "manufacturer", "model"),
    [
        ("Dell PowerEdge R740XD 2x Gold 6140 256GB", "dell", "r740xd"),
        ("Dell EMC PowerEdge R740 XD 12LFF 2x Silver 4114 64GB", "dell", "r740xd"),
        ("HPE ProLiant DL380 Gen10 2x Silver 4110 64GB", "hpe", "dl380gen10"),
        ("HP DL380 G10 8SFF 2x Gold 5118 128GB", "hpe", "dl380gen10"),
        ("HP ProLiant DL360p G8 2x E5-2650 v2 64GB", "hpe", "dl360pgen8"),
        ("HPE ProLiant DL360 Gen10 Plus 2x Silver 4314 64GB", "hpe", "dl360gen10plus"),
        ("Lenovo ThinkSystem SR650 2x Silver 4210 64GB", "lenovo", "sr650"),
        ("Lenovo ThinkSystem SR650 V2 2x Silver 4314 128GB", "lenovo", "sr650v2"),
        ("Cisco UCS C240 M5 2x Gold 6132 384GB", "cisco", "c240m5"),
        ("Cisco UCSC-C220-M4S 2x E5-2680 v3 128GB", "cisco", "c220m4"),
        ("Supermicro SYS-1029P-WTRT 1U 2x Silver 4110 96GB", "supermicro", "sys-1029p-wtrt"),
        ("Supermicro AS-2124US-TNRP 2U 2x EPYC 7302 256GB", "supermicro", "as-2124us-tnrp"),
        ("Fujitsu Primergy RX2540 M5 2x Silver 4210 64GB", "fujitsu", "rx2540m5"),
        ("Lenovo System x3650 M5 2x E5-2650 v3 64GB", "lenovo", "x3650m5"),
        ("Dell PowerEdge T640 Tower 2x Silver 4114 64GB", "dell", "t640"),
    ],
)
def test_server_model_canonicalisation(title: str, manufacturer: str, model: str) -> None:
    result = extract_rules(title)
    assert result.component_type is SERVER
    assert has(result, manufacturer=manufacturer, model=model)


@pytest.mark.parametrize(
    ("title", "tier"),
    [
        ("Dell PowerEdge R740 2x Gold 6130 128GB RAM 8x SFF", "configured"),
        ("Dell PowerEdge R740 2x Gold 6130 No RAM 8x SFF", "barebone"),
        ("Dell PowerEdge R740 Barebone 8x SFF", "barebone"),
        ("HPE DL380 Gen10 CTO 8SFF Server", "barebone"),
        ("Dell PowerEdge R740 No CPU 256GB RAM", "barebone"),
        ("Dell PowerEdge R740 2x Gold 6130 8x SFF", "partial"),
        ("Dell PowerEdge R740 512GB RAM 8x SFF Server", "partial"),
    ],
)
def test_server_tier(title: str, tier: str) -> None:
    assert extract_rules(title).attributes["tier"] == tier


def test_server_without_processor_or_memory_words_has_no_tier() -> None:
    result = extract_rules("Dell PowerEdge R740 2U Server 8x SFF iDRAC9 Enterprise")
    assert result.component_type is SERVER
    assert "tier" not in result.attributes


@pytest.mark.parametrize(
    ("title", "form_factor"),
    [
        ("Supermicro SYS-6029P-TRT 2U 2x Silver 4110 64GB", "2U"),
        ("Lenovo ThinkSystem ST550 Tower Server Silver 4110 32GB", "tower"),
        ("Dell PowerEdge R640 2x Gold 6130 128GB", "1U"),
        ("HP ProLiant DL360 Gen9 1HE 2x E5-2620v3 32GB", "1U"),
    ],
)
def test_server_form_factor(title: str, form_factor: str) -> None:
    assert extract_rules(title).attributes["form_factor"] == form_factor


# --- processors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "manufacturer", "family", "model", "cores"),
    [
        ("Intel Xeon Gold 6130 SR3B9 2.1GHz", "intel", "xeon", "6130", 16),
        ("Intel Xeon E5-2680 v4 SR2N7 2.4GHz", "intel", "xeon", "e5-2680v4", 14),
        ("Intel Xeon E5-2697A V4 2.6GHz", "intel", "xeon", "e5-2697av4", 16),
        ("Intel Xeon Platinum 8280L 2.7GHz", "intel", "xeon", "8280l", 28),
        ("Intel Xeon W-2145 3.7GHz LGA2066", "intel", "xeon", "w-2145", 8),
        ("Intel Xeon E-2236 3.4GHz LGA1151", "intel", "xeon", "e-2236", 6),
        ("Intel Xeon E5-2670 SR0KX 2.6GHz", "intel", "xeon", "e5-2670", 8),
        ("AMD EPYC 7302P 3.0GHz SP3", "amd", "epyc", "7302p", 16),
        ("AMD EPYC 7H12 2.6GHz SP3", "amd", "epyc", "7h12", 64),
        ("AMD EPYC 9654 Genoa SP5", "amd", "epyc", "9654", 96),
        ("AMD Ryzen 7 5700X AM4", "amd", "ryzen", "5700x", 8),
        ("AMD Ryzen Threadripper 3970X sTRX4", "amd", "threadripper", "3970x", 32),
        ("Intel Core i7-12700K LGA1700", "intel", "core", "i7-12700k", 12),
    ],
)
def test_cpu_model_and_cores_from_sku(
    title: str, manufacturer: str, family: str, model: str, cores: int
) -> None:
    result = extract_rules(title + " CPU Processor")
    assert result.component_type is CPU
    assert has(result, manufacturer=manufacturer, family=family, model=model, cores=cores)


@pytest.mark.parametrize(
    ("spelling", "cores"),
    [("32-Core", 32), ("16C", 16), ("28 Cores", 28), ("14 Kerne", 14), ("64C/128T", 64)],
)
def test_stated_cores(spelling: str, cores: int) -> None:
    result = extract_rules(f"AMD EPYC 7xx2 Engineering Sample {spelling} SP3 CPU")
    assert result.component_type is CPU
    assert result.attributes["cores"] == cores


def test_unknown_sku_leaves_cores_unset_and_lowers_confidence() -> None:
    known = extract_rules("Intel Xeon Gold 6148 SR3B6 CPU Processor")
    unknown = extract_rules("Intel Xeon Gold 6199 SRXXX CPU Processor")
    assert "cores" not in unknown.attributes
    assert unknown.confidence < known.confidence


# --- network cards ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "speed", "ports", "port_type"),
    [
        ("Intel X520-DA2 Dual Port 10GbE SFP+ Server Adapter", "10GbE", 2, "SFP+"),
        ("Intel X540-T2 10GBase-T Network Card", "10GbE", 2, "RJ45"),
        ("Intel I350-T4 Quad Port Gigabit Ethernet NIC", "1GbE", 4, "RJ45"),
        ("Mellanox MCX4121A-ACAT ConnectX-4 Lx 25GbE SFP28", "25GbE", 2, "SFP28"),
        ("Mellanox ConnectX-3 MCX354A-FCBT 40GbE Dual QSFP+", "40GbE", 2, "QSFP+"),
        ("Mellanox ConnectX-5 100GbE Single Port QSFP28 NIC", "100GbE", 1, "QSFP28"),
        ("Broadcom 57414 25Gb 2-Port SFP28 OCP Mezz", "25GbE", 2, "SFP28"),
        ("HP 561T 10Gb 2-Port Ethernet Adapter", "10GbE", 2, "RJ45"),
        ("Intel X710-DA4 Quad Port Converged Network Adapter", "10GbE", 4, "SFP+"),
    ],
)
def test_nic_speed_ports_and_type(title: str, speed: str, ports: int, port_type: str) -> None:
    result = extract_rules(title)
    assert result.component_type is NIC
    assert has(result, speed=speed, port_count=ports, port_type=port_type)


# --- GPUs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "manufacturer", "model", "vram"),
    [
        ("NVIDIA GeForce RTX 3090 Ti 24GB GDDR6X", "nvidia", "3090ti", 24),
        ("MSI GeForce RTX 4070 SUPER 12GB Ventus", "nvidia", "4070super", 12),
        ("NVIDIA Tesla P40 24GB GDDR5 Accelerator", "nvidia", "p40", 24),
        ("NVIDIA Quadro RTX A4000 16GB GDDR6", "nvidia", "a4000", 16),
        ("PNY NVIDIA RTX A4000 16GB Graphics Card", "nvidia", "a4000", 16),
        ("NVIDIA A100 40GB PCIe Tensor Core GPU", "nvidia", "a100", 40),
        ("NVIDIA L40S 48GB PCIe GPU", "nvidia", "l40s", 48),
        ("AMD Instinct MI210 64GB HBM2e Accelerator", "amd", "mi210", 64),
        ("AMD Radeon Pro WX 5100 8GB Graphics Card", "amd", "wx5100", 8),
        ("Sapphire Radeon RX 6800 XT 16GB GDDR6", "amd", "6800xt", 16),
        ("Intel Arc A750 8GB Graphics Card", "intel", "a750", 8),
    ],
)
def test_gpu_model_canonicalisation(title: str, manufacturer: str, model: str, vram: int) -> None:
    result = extract_rules(title)
    assert result.component_type is GPU
    assert has(result, manufacturer=manufacturer, model=model, vram_gb=vram)


def test_gpu_vram_from_the_sku_when_unstated() -> None:
    assert extract_rules("NVIDIA Tesla T4 Inference GPU").attributes["vram_gb"] == 16
    assert "vram_gb" not in extract_rules("NVIDIA Tesla V100 PCIe GPU").attributes


# --- workstations and desktops ----------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "kind", "manufacturer", "model"),
    [
        ("Dell Precision T7920 2x Gold 6148 128GB", WORKSTATION, "dell", "t7920"),
        ("Dell Precision 7920 Tower 2x Silver 4114 64GB", WORKSTATION, "dell", "t7920"),
        ("Dell Precision 5820 Tower W-2155 64GB", WORKSTATION, "dell", "precision5820"),
        ("HP Z8 G4 Workstation 2x Gold 6154 192GB", WORKSTATION, "hp", "z8g4"),
        ("HP Z640 Xeon E5-2680 v4 64GB Workstation", WORKSTATION, "hp", "z640"),
        ("Lenovo ThinkStation P920 2x Gold 6136 256GB", WORKSTATION, "lenovo", "p920"),
        ("Dell OptiPlex 7080 SFF i7-10700 16GB 512GB", DESKTOP, "dell", "optiplex7080"),
        ("HP EliteDesk 800 G6 Mini i5-10500T 8GB", DESKTOP, "hp", "elitedesk800g6"),
        ("HP ProDesk 405 G4 Mini Ryzen 5 2400GE 8GB", DESKTOP, "hp", "prodesk405g4"),
        ("Lenovo ThinkCentre M920q Tiny i5-8500T 8GB", DESKTOP, "lenovo", "m920q"),
        ("Lenovo ThinkCentre M90q Gen 3 Tiny i5-12500T", DESKTOP, "lenovo", "m90qgen3"),
    ],
)
def test_system_models(title: str, kind: ComponentType, manufacturer: str, model: str) -> None:
    result = extract_rules(title)
    assert result.component_type is kind
    assert has(result, manufacturer=manufacturer, model=model)


def test_components_listed_in_a_desktop_do_not_change_its_type() -> None:
    result = extract_rules("Dell OptiPlex 5060 Micro i5-8500T 16GB DDR4 512GB NVMe SSD")
    assert result.component_type is DESKTOP


# --- UK and German wording --------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "kind", "expected", "condition"),
    [
        (
            "Samsung 64GB DDR4 2933 ECC REG Arbeitsspeicher gebraucht",
            RAM,
            {"capacity_gb": 64, "speed_mhz": 2933, "registered": True},
            Condition.USED_WORKING,
        ),
        (
            "Toshiba 12TB SATA 3,5 Zoll Festplatte 7200 U/min neu",
            DRIVE,
            {"capacity_gb": 12000, "form_factor": "3.5", "media": "HDD", "rpm": 7200},
            Condition.NEW,
        ),
        (
            "ASUS GeForce RTX 3060 12GB Grafikkarte defekt",
            GPU,
            {"model": "3060", "vram_gb": 12},
            Condition.FOR_PARTS,
        ),
        (
            "Intel X710-DA2 Netzwerkkarte 10GbE 2x SFP+",
            NIC,
            {"speed": "10GbE", "port_count": 2, "port_type": "SFP+"},
            Condition.UNKNOWN,
        ),
        (
            "Dell PowerEdge R640 2x Silver 4214 128GB UK Stock VAT inc",
            SERVER,
            {"model": "r640", "tier": "configured"},
            Condition.UNKNOWN,
        ),
    ],
)
def test_german_and_uk_titles(
    title: str, kind: ComponentType, expected: dict[str, Any], condition: Condition
) -> None:
    result = extract_rules(title, Marketplace.EBAY_DE)
    assert result.component_type is kind
    assert has(result, **expected)
    assert result.condition is condition


def test_german_piece_counts() -> None:
    assert extract_rules("Samsung 16GB DDR4 ECC REG 8 Stück").quantity == 8
    assert extract_rules("Samsung 16GB DDR4 ECC REG 4x Stk").quantity == 4


# --- condition --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "condition"),
    [
        ("NEW", Condition.NEW),
        ("Brand New", Condition.NEW),
        ("Factory Sealed", Condition.NEW),
        ("Neu OVP", Condition.NEW),
        ("Refurbished", Condition.LIKE_NEW),
        ("Renewed", Condition.LIKE_NEW),
        ("Open Box", Condition.LIKE_NEW),
        ("Used", Condition.USED_WORKING),
        ("Tested Working", Condition.USED_WORKING),
        ("Pulled from working server", Condition.USED_WORKING),
        ("Gebraucht", Condition.USED_WORKING),
        ("For Parts", Condition.FOR_PARTS),
        ("Not Working", Condition.FOR_PARTS),
        ("Defekt", Condition.FOR_PARTS),
        ("Spares or Repair", Condition.FOR_PARTS),
        ("Spares/Repairs", Condition.FOR_PARTS),
        ("Ex-Lease", Condition.USED_WORKING),
        ("Untested", Condition.UNKNOWN),
        ("", Condition.UNKNOWN),
        # Faults are red flags (core.extract.red_flags); doubt alone leaves the condition.
        ("No Power", Condition.FOR_PARTS),
        ("Startet nicht", Condition.FOR_PARTS),
        ("Refurbished SMART Warning", Condition.FOR_PARTS),
        ("Tested Bad", Condition.FOR_PARTS),
        ("As Is", Condition.UNKNOWN),
        ("BIOS Locked", Condition.UNKNOWN),
        ("Nicht getestet", Condition.UNKNOWN),
        ("Never Tested", Condition.UNKNOWN),
        ("Tested No Bad Sectors", Condition.USED_WORKING),
        ("Gebraucht ohne Fehler", Condition.USED_WORKING),
    ],
)
def test_condition_words(words: str, condition: Condition) -> None:
    assert extract_rules(f"Intel Xeon Gold 6130 CPU {words}").condition is condition


def test_for_parts_is_not_a_compatibility_clause() -> None:
    result = extract_rules("Dell PowerEdge R730 2x E5-2680 v4 64GB For Parts")
    assert result.component_type is SERVER
    assert result.condition is Condition.FOR_PARTS


# --- categories and item specifics ------------------------------------------------------


def test_category_decides_a_sparse_title() -> None:
    assert extract_rules("Kingston server module", category_ids=("170083",)).component_type is RAM
    assert extract_rules("Kingston server module").component_type is not RAM


def test_item_specifics_fill_fields_the_title_omits() -> None:
    result = extract_rules(
        "Seagate Exos enterprise drive",
        category_ids=("56083",),
        item_specifics={
            "Storage Capacity": "16 TB",
            "Interface": "SAS",
            "Form Factor": '3.5"',
            "Rotation Speed": "7200",
        },
    )
    assert result.component_type is DRIVE
    assert has(result, capacity_gb=16000, interface="SAS", form_factor="3.5", rpm=7200)


def test_title_wins_over_item_specifics() -> None:
    result = extract_rules(
        "Intel Xeon Gold 6130 16 Core CPU", item_specifics={"Number of Cores": "12"}
    )
    assert result.attributes["cores"] == 16


def test_ssd_category_implies_ssd_media() -> None:
    result = extract_rules("Samsung PM893 960GB SATA 2.5in", category_ids=("175669",))
    assert result.attributes["media"] == "SSD"


# --- confidence -------------------------------------------------------------------------


def test_complete_titles_are_confident() -> None:
    for title in (
        "Samsung 32GB 2Rx4 PC4-2666V DDR4 ECC RDIMM",
        "Seagate Exos X18 16TB SATA 3.5in 7200RPM HDD",
        "Intel Xeon Gold 6248 20-Core 2.5GHz CPU",
        "Dell PowerEdge R740 2U 2x Gold 6130 256GB 8x SFF",
        "Intel X710-DA2 10GbE Dual Port SFP+ NIC",
        "NVIDIA GeForce RTX 3080 10GB GDDR6X",
        "Dell Precision 7920 Tower 2x Gold 6130 128GB",
        "Dell PowerEdge R640 Ready Rails 1U Kit",
    ):
        assert extract_rules(title).confidence >= 0.8, title


def test_unclear_or_incomplete_titles_are_not_confident() -> None:
    for title in (
        "Server parts",
        "Intel processor",
        "Hard drive 2TB",
        "32GB DDR4 RAM kit",
        "Network card dual port",
        "NVIDIA graphics",
        "Supermicro server",
    ):
        assert extract_rules(title).confidence < 0.8, title


def test_confidence_drops_as_graded_fields_go_missing() -> None:
    full = extract_rules("Samsung 32GB DDR4 2666 ECC RDIMM").confidence
    no_speed = extract_rules("Samsung 32GB DDR4 ECC RDIMM").confidence
    no_speed_or_size = extract_rules("Samsung DDR4 ECC RDIMM").confidence
    assert full > no_speed > no_speed_or_size


def test_a_bare_system_model_is_not_confident() -> None:
    # "Dell PowerEdge R640" alone may be the server or a part listed under its name.
    bare = extract_rules("Dell PowerEdge R640")
    assert bare.component_type is SERVER
    assert bare.confidence < 0.8
    assert extract_rules("Dell PowerEdge R640 1U Server 8x SFF").confidence >= 0.8


def test_confidence_drops_when_the_type_is_contested() -> None:
    clear = extract_rules("Dell PowerEdge R740 2x Gold 6130 256GB Server").confidence
    contested = extract_rules("Dell PowerEdge R740 32GB DDR4 RDIMM").confidence
    assert contested < 0.8 <= clear


# --- real-world wording (issue 12) ------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "generation", "speed"),
    [
        ("Samsung 16GB DDR-4 2400 ECC REG Server RAM", "DDR4", 2400),
        ("Hynix 8GB DDR 4 2666 Desktop Memory", "DDR4", 2666),
        ("Micron 32GB PC4 2933 RDIMM", "DDR4", 2933),
        ("Samsung 32GB 2Rx4 PC4-2666V ECC Registered", "DDR4", 2666),
        ("Kingston 16GB DDR4 2666V ECC RDIMM", "DDR4", 2666),
    ],
)
def test_memory_generation_and_speed_spellings(title: str, generation: str, speed: int) -> None:
    result = extract_rules(title)
    assert result.component_type is RAM
    assert has(result, generation=generation, speed_mhz=speed)


@pytest.mark.parametrize(
    "title",
    [
        "Dell PowerEdge R650 10 Bay Barbone Server",
        "HPE DL380 Gen10 8SFF Bare Bone",
        "Lenovo SR630 Barebone 2x PSU",
    ],
)
def test_barebone_spellings(title: str) -> None:
    result = extract_rules(title)
    assert result.component_type is SERVER
    assert has(result, tier="barebone")


@pytest.mark.parametrize(
    ("title", "kind", "model"),
    [
        ("Dell R730XD 12LFF 2x E5-2680v4 128GB 4x HDD Caddy H730", SERVER, "r730xd"),
        (
            "Dell PowerEdge R630 8SFF (2) Heatsinks, 7 Fans, H730 Mini, iDRAC8 Enterprise",
            SERVER,
            "r630",
        ),
        ("HP ProDesk 600 G3 SFF i5-7500 8GB 256GB SSD + Power Cord", DESKTOP, "prodesk600g3"),
        ("Dell OptiPlex 7050 Micro i5-7500T 8GB 128GB w/ AC Adapter", DESKTOP, "optiplex7050"),
    ],
)
def test_a_machine_listed_with_its_parts_is_the_machine(
    title: str, kind: ComponentType, model: str
) -> None:
    result = extract_rules(title)
    assert result.component_type is kind
    assert has(result, model=model)


@pytest.mark.parametrize(
    "title",
    [
        "Dell PowerEdge R630 Heatsink and Fan",
        "Dell OptiPlex 7050 Micro 65W AC Adapter",
        "HP ProDesk 600 G3 SFF Power Supply 180W",
        "Dell R630 PERC H730 Mini + Riser Card",
    ],
)
def test_parts_for_a_machine_stay_other(title: str) -> None:
    assert extract_rules(title).component_type is OTHER


@pytest.mark.parametrize(
    ("title", "kind", "model"),
    [
        ("Dell 5070 Micro i5-9500T 8GB 256GB", DESKTOP, "optiplex5070"),
        ("Dell 3050 SFF Core i5 8GB", DESKTOP, "optiplex3050"),
        ("Dell Pro Tower Core Ultra 7 265 32GB 1TB", DESKTOP, "protower"),
        ("Dell Pro Max Slim Core Ultra 9 285 64GB", WORKSTATION, "promaxslim"),
        ("HP Z2 SFF G9 i7-12700 32GB 512GB", WORKSTATION, "z2g9"),
        ("HP Z2 G8 Mini Workstation i7 32GB", WORKSTATION, "z2minig8"),
        ("Lenovo ThinkStation P3 Tiny i5-13500 16GB", WORKSTATION, "p3tiny"),
        ("Lenovo ThinkCentre M70q Tiny Gen 2 i5-11400T 8GB", DESKTOP, "m70qgen2"),
        ("Beelink EQ12 Pro Mini PC N305 16GB 500GB", DESKTOP, "eq12pro"),
    ],
)
def test_product_lines_without_their_usual_words(
    title: str, kind: ComponentType, model: str
) -> None:
    result = extract_rules(title)
    assert result.component_type is kind
    assert has(result, model=model)


@pytest.mark.parametrize(
    ("title", "model", "tier"),
    [
        ("Supermicro AS-1114S-WTRT 1U AMD EPYC 7302P 128GB", "as-1114s-wtrt", "configured"),
        ("Supermicro SYS-7049A 2x Xeon Silver 4110 No RAM", "sys-7049a", "barebone"),
        ("SuperServer 5019C-M 1U 1x E-2136 32GB", "sys-5019c-m", "configured"),
        ("Dell R740 with 128GB DDR4 RDIMM", "r740", "partial"),
        ("HP DL380G9 8SFF(2x 2690v4, 256GB, P440AR, 2x 800W)", "dl380gen9", "configured"),
        ("Dell R7525 (2x 7F72, 512GB, H745)", "r7525", "configured"),
    ],
)
def test_servers_named_by_model_and_bare_processor_numbers(
    title: str, model: str, tier: str
) -> None:
    result = extract_rules(title)
    assert result.component_type is SERVER
    assert has(result, model=model, tier=tier)


def test_platform_listings_of_sockets_and_slots_are_servers() -> None:
    result = extract_rules("Dell R430 4LFF (2x LGA2011-3, 12DIMM, 2x 550W, PERC H330)")
    assert result.component_type is SERVER
    assert has(result, model="r430")
    assert "tier" not in result.attributes  # sockets are not processors


@pytest.mark.parametrize(
    ("title", "quantity"),
    [
        ("Lot of 4x 16GB DDR4 2666 ECC REG 64GB", 4),
        ("Lot of 3x Dell OptiPlex 3080 Micro i5 8GB", 3),
        ("READ LOT 12 Samsung 32GB DDR4 RDIMM", 1),
        ("LOT 7 Seagate 4TB SAS 3.5 HDD", 1),
    ],
)
def test_lot_numbers_are_not_counts(title: str, quantity: int) -> None:
    assert extract_rules(title).quantity == quantity


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("Gaming PC Ryzen 7 5800X RTX 3070 16GB 1TB NVMe", DESKTOP),
        ("Mini PC Intel N100 16GB DDR4 512GB SSD", DESKTOP),
        ("iBuyPower Gaming Desktop i7-12700F RTX 3060", DESKTOP),
        ("RTX 3070 8GB Graphics Card for Gaming PC", GPU),
        ("Gaming PC RAM 16GB DDR4 3200 RGB", RAM),
    ],
)
def test_unbranded_machines_and_the_parts_sold_for_them(title: str, kind: ComponentType) -> None:
    assert extract_rules(title).component_type is kind


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("Lenovo IdeaPad 5 Ryzen 7 5700U 16GB RAM 512GB SSD", OTHER),
        ("HP ZBook 15 G6 i7-9850H 32GB 1TB Quadro T2000", OTHER),
        ("Dell Latitude 5420 Laptop 16GB DDR4 SODIMM RAM Upgrade", RAM),
    ],
)
def test_laptops_and_their_upgrades(title: str, kind: ComponentType) -> None:
    assert extract_rules(title).component_type is kind


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("(HEATSINK ONLY) Gigabyte RTX 3080 Gaming OC 10GB", OTHER),
        ("AMD Ryzen 7 5800X Empty Retail Box - No CPU", OTHER),
        ("Original Box for EVGA RTX 3090 FTW3, no graphics card", OTHER),
        ("Shroud for NVIDIA Tesla P40 24GB", OTHER),
        ("EVGA RTX 3080 FTW3 10GB with original box and backplate", GPU),
    ],
)
def test_boxes_and_parts_named_after_a_component(title: str, kind: ComponentType) -> None:
    assert extract_rules(title).component_type is kind


@pytest.mark.parametrize(
    ("title", "speed", "ports", "port_type"),
    [
        ("Intel 82599 10-Gigabit Dual Port SFP+ Server Adapter", "10GbE", 2, "SFP+"),
        ("Intel I350-T2 Dual Port Gigabit NIC", "1GbE", 2, "RJ45"),
        ("Intel X550-T1 10GbE Network Adapter", "10GbE", 1, "RJ45"),
    ],
)
def test_nic_spellings(title: str, speed: str, ports: int, port_type: str) -> None:
    result = extract_rules(title)
    assert result.component_type is NIC
    assert has(result, speed=speed, port_count=ports, port_type=port_type)


def test_a_dual_multi_gigabit_card_counts_its_ports_without_a_canonical_speed() -> None:
    result = extract_rules("Dual 2.5GbE PCIe Network Card RTL8125")
    assert result.component_type is NIC
    assert has(result, port_count=2)
    assert "speed" not in result.attributes


def test_core_model_written_without_its_separator() -> None:
    result = extract_rules("Intel CoreTM i713700K Desktop Processor")
    assert result.component_type is CPU
    assert has(result, model="i7-13700k")


def test_nvidia_dgx_is_a_server() -> None:
    result = extract_rules("NVIDIA DGX H100 8x H100 80GB 2TB")
    assert result.component_type is SERVER
    assert has(result, manufacturer="nvidia", model="dgxh100")


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("Stand for ASUS ROG RTX 4090 24GB", OTHER),
        ("NEW For Dell PowerEdge R740 32GB DDR4 2666 RDIMM Server Memory", RAM),
        ("Genuine for Dell R630 1.2TB 10K SAS 2.5 HDD", DRIVE),
    ],
)
def test_an_item_named_only_by_what_it_fits(title: str, kind: ComponentType) -> None:
    assert extract_rules(title).component_type is kind
