"""The sandbox's product table: what is for sale, its canonical attributes and market price.

Each product carries a type-specific spec that the title renderer reads, the canonical
attributes and product key of DOMAIN.md (ground truth for extraction), and a market price
in USD that the catalog converts per marketplace and spreads per listing.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.extract.product_keys import product_key as build_product_key
from core.models import ComponentType, Marketplace

AttributeValue = str | int | bool

# Fixed conversion rates, so a catalog is the same whenever it is built.
FX_FROM_USD: dict[Marketplace, float] = {
    Marketplace.EBAY_US: 1.0,
    Marketplace.EBAY_GB: 0.79,
    Marketplace.EBAY_DE: 0.92,
    Marketplace.EBAY_AU: 1.52,
}

CATEGORY_NAMES: dict[str, str] = {
    "170083": "Memory (RAM)",
    "175669": "Solid State Drives",
    "56083": "Hard Drives (HDD, SSD & NAS)",
    "11211": "Computer Servers",
    "164": "CPUs/Processors",
    "20318": "Network Cards",
    "27386": "Graphics/Video Cards",
    "179": "PC Desktops & All-In-Ones",
    "1244": "Motherboards",
    "58058": "Computers/Tablets & Networking",
    # Parents only: no listing sits in these, searches reach them through the tree below.
    "175673": "Computer Components & Parts",
    "165": "Drives, Storage & Blank Media",
    "175698": "Enterprise Networking, Servers",
    "171957": "Desktops & All-In-Ones",
}

# The slice of eBay US's category tree the catalog's categories hang in (parent -> children).
# "Categories are organized into a tree hierarchy"
# (https://developer.ebay.com/api-docs/buy/buy-categories.html); a search in a category also
# finds the listings of its sub-categories. 20318 (Network Cards) hangs off the top level
# here because its eBay parent is not modelled.
CATEGORY_CHILDREN: dict[str, tuple[str, ...]] = {
    "58058": ("175673", "165", "175698", "171957", "20318"),
    "175673": ("170083", "164", "27386", "1244"),  # memory, CPUs, GPUs, motherboards
    "165": ("56083", "175669"),  # hard drives, solid state drives
    "175698": ("11211",),  # servers
    "171957": ("179",),  # desktops
}


def category_subtree(category_id: str) -> frozenset[str]:
    """`category_id` and every category below it."""
    found = {category_id}
    pending = [category_id]
    while pending:
        for child in CATEGORY_CHILDREN.get(pending.pop(), ()):
            if child not in found:
                found.add(child)
                pending.append(child)
    return frozenset(found)


@dataclass(frozen=True, slots=True)
class RamSpec:
    """A memory module: `module` is RDIMM, LRDIMM, UDIMM or SODIMM; UDIMMs come with ECC
    (workstation memory) or without (desktop memory), as do SODIMMs."""

    generation: str
    capacity_gb: int
    speed_mhz: int
    module: str
    ranks: tuple[str, ...]
    makers: tuple[tuple[str, str], ...]  # (brand, part number); either may be ""
    ecc: bool = True

    @property
    def registered(self) -> bool:
        """Whether the module is registered (RDIMM and LRDIMM are)."""
        return self.module in ("RDIMM", "LRDIMM")

    @property
    def server(self) -> bool:
        """Whether sellers list it as server (or workstation) memory."""
        return self.ecc


@dataclass(frozen=True, slots=True)
class DriveSpec:
    """A drive; `u2` marks 2.5in NVMe drives sold as U.2; `technology` is "3D XPoint" for
    Optane drives (their product line always names Optane)."""

    interface: str
    form_factor: str
    capacity_gb: int
    media: str
    rpm: int | None
    models: tuple[tuple[str, str, str], ...]  # (brand, product line, part number)
    u2: bool = False
    technology: str | None = None


@dataclass(frozen=True, slots=True)
class ServerSpec:
    """A rack or tower server in one configuration tier."""

    manufacturer: str
    model: str
    names: tuple[str, ...]
    form_factor: str
    tier: str
    configs: tuple[str, ...]
    bays: tuple[str, ...]
    extras: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CpuSpec:
    """A processor; `codes` are sSpec or OPN codes sellers copy into titles."""

    manufacturer: str
    family: str
    model: str
    names: tuple[str, ...]
    cores: int
    ghz: str
    socket: str
    codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NicSpec:
    """A network adapter."""

    speed: str
    port_count: int
    port_type: str
    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class GpuSpec:
    """A graphics card or accelerator."""

    manufacturer: str
    model: str
    vram_gb: int
    names: tuple[str, ...]
    memory: str
    extras: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SystemSpec:
    """A workstation or desktop PC."""

    manufacturer: str
    model: str
    names: tuple[str, ...]
    forms: tuple[str, ...]
    configs: tuple[str, ...]
    extras: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AccessorySpec:
    """A part named after a product line; `{q}` in a title is the lot size."""

    titles: tuple[str, ...]
    titles_de: tuple[str, ...]


Spec = RamSpec | DriveSpec | ServerSpec | CpuSpec | NicSpec | GpuSpec | SystemSpec | AccessorySpec


@dataclass(frozen=True, slots=True)
class Product:
    """One thing sellers list, with its market price and the lot sizes it is sold in."""

    key: str
    component_type: ComponentType
    market_usd: float
    category_id: str
    spec: Spec
    lot_sizes: tuple[int, ...] = ()

    @property
    def product_key(self) -> str | None:
        """The DOMAIN.md product key, or None for `other`."""
        return product_key(self)

    @property
    def attributes(self) -> dict[str, AttributeValue]:
        """The canonical attributes DOMAIN.md grades for this type (quantity excluded)."""
        return canonical_attributes(self)


def product_key(product: Product) -> str | None:
    """The DOMAIN.md product key built from the product's canonical attributes."""
    return build_product_key(product.component_type, canonical_attributes(product))


def canonical_attributes(product: Product) -> dict[str, AttributeValue]:
    """The attributes a careful reader gets from a title of this product."""
    spec = product.spec
    if isinstance(spec, RamSpec):
        return {
            "generation": spec.generation,
            "capacity_gb": spec.capacity_gb,
            "speed_mhz": spec.speed_mhz,
            "ecc": spec.ecc,
            "registered": spec.registered,
            "module": spec.module,
        }
    if isinstance(spec, DriveSpec):
        drive: dict[str, AttributeValue] = {
            "interface": spec.interface,
            "form_factor": spec.form_factor,
            "capacity_gb": spec.capacity_gb,
            "media": spec.media,
        }
        if spec.rpm is not None:
            drive["rpm"] = spec.rpm
        if spec.technology is not None:
            drive["technology"] = spec.technology
        return drive
    if isinstance(spec, ServerSpec):
        return {
            "manufacturer": spec.manufacturer,
            "model": spec.model,
            "form_factor": spec.form_factor,
            "tier": spec.tier,
        }
    if isinstance(spec, CpuSpec):
        return {
            "manufacturer": spec.manufacturer,
            "family": spec.family,
            "model": spec.model,
            "cores": spec.cores,
        }
    if isinstance(spec, NicSpec):
        return {"speed": spec.speed, "port_count": spec.port_count, "port_type": spec.port_type}
    if isinstance(spec, GpuSpec):
        return {"manufacturer": spec.manufacturer, "model": spec.model, "vram_gb": spec.vram_gb}
    if isinstance(spec, SystemSpec):
        return {"manufacturer": spec.manufacturer, "model": spec.model}
    return {}


# --- the table -------------------------------------------------------------------------

_RAM = ComponentType.RAM
_KITS = (2, 4, 8, 12, 16)


def _ram(
    key: str, usd: float, gen: str, gb: int, mhz: int, module: str, ranks: tuple[str, ...],
    makers: tuple[tuple[str, str], ...], lots: tuple[int, ...] = _KITS, ecc: bool = True,
) -> Product:  # fmt: skip
    spec = RamSpec(gen, gb, mhz, module, ranks, makers, ecc)
    return Product(key, _RAM, usd, "170083", spec, lots)


RAM_PRODUCTS: tuple[Product, ...] = (
    _ram("ddr4-16g-2400-rdimm", 12, "DDR4", 16, 2400, "RDIMM", ("2Rx4", "1Rx4"),
         (("Samsung", "M393A2K40BB1-CRC"), ("SK Hynix", "HMA82GR7AFR8N-UH"),
          ("Micron", "MTA18ASF2G72PDZ-2G3"), ("HPE", "805349-B21"), ("", ""))),
    _ram("ddr4-16g-2666-rdimm", 15, "DDR4", 16, 2666, "RDIMM", ("2Rx8", "1Rx4"),
         (("Samsung", "M393A2K43BB1-CTD"), ("SK Hynix", "HMA82GR7AFR8N-VK"),
          ("Micron", "MTA18ASF2G72PDZ-2G6"), ("Kingston", "KSM26RS4/16HDI"))),
    _ram("ddr4-32g-2400-rdimm", 28, "DDR4", 32, 2400, "RDIMM", ("2Rx4",),
         (("Samsung", "M393A4K40BB1-CRC"), ("SK Hynix", "HMA84GR7MFR4N-UH"),
          ("Micron", "MTA36ASF4G72PZ-2G3"), ("", ""))),
    _ram("ddr4-32g-2666-rdimm", 35, "DDR4", 32, 2666, "RDIMM", ("2Rx4",),
         (("Samsung", "M393A4K40CB2-CTD"), ("SK Hynix", "HMA84GR7AFR4N-VK"),
          ("Micron", "MTA36ASF4G72PZ-2G6"), ("HPE", "815100-B21"),
          ("Kingston", "KSM26RD4/32HDI"), ("Cisco", "UCS-MR-X32G2RS-H"), ("", ""))),
    _ram("ddr4-32g-2933-rdimm", 42, "DDR4", 32, 2933, "RDIMM", ("2Rx4",),
         (("Samsung", "M393A4K40DB2-CVF"), ("Micron", "MTA36ASF4G72PZ-2G9"),
          ("Lenovo", "4ZC7A08709"))),
    _ram("ddr4-32g-3200-rdimm", 52, "DDR4", 32, 3200, "RDIMM", ("2Rx4", "2Rx8"),
         (("Samsung", "M393A4K40DB3-CWE"), ("SK Hynix", "HMAA4GR7AJR4N-XN"),
          ("Micron", "MTA36ASF4G72PZ-3G2"), ("", ""))),
    _ram("ddr4-64g-2666-lrdimm", 70, "DDR4", 64, 2666, "LRDIMM", ("4DRx4",),
         (("Samsung", "M386A8K40BM2-CTD"), ("Micron", "MTA72ASS8G72LZ-2G6"),
          ("Dell", "SNPW403YC/64G"))),
    _ram("ddr4-64g-2666-rdimm", 95, "DDR4", 64, 2666, "RDIMM", ("2Rx4",),
         (("Samsung", "M393A8G40MB2-CTD"), ("SK Hynix", "HMAA8GR7AJR4N-VK"), ("", ""))),
    _ram("ddr4-32g-2400-lrdimm", 24, "DDR4", 32, 2400, "LRDIMM", ("4DRx4", "2Rx4"),
         (("Samsung", "M386A4K40BB0-CRC"), ("SK Hynix", "HMA84GL7AMR4N-UH"), ("HPE", "805353-B21"),
          ("", ""))),
    _ram("ddr4-128g-2933-lrdimm", 180, "DDR4", 128, 2933, "LRDIMM", ("4DRx4", "8DRx4"),
         (("Samsung", "M386AAG40MMB-CVF"), ("Micron", "MTA72ASS16G72LZ-2G9"), ("", "")),
         (2, 4, 8)),
    _ram("ddr4-64g-2933-rdimm", 90, "DDR4", 64, 2933, "RDIMM", ("2Rx4",),
         (("Samsung", "M393A8G40MB2-CVF"), ("Micron", "MTA36ASF8G72PZ-2G9"))),
    _ram("ddr4-64g-3200-rdimm", 115, "DDR4", 64, 3200, "RDIMM", ("2Rx4",),
         (("Samsung", "M393A8G40AB2-CWE"), ("SK Hynix", "HMAA8GR7AJR4N-XN"),
          ("Micron", "MTA36ASF8G72PZ-3G2"))),
    _ram("ddr3-8g-1600-rdimm", 5, "DDR3", 8, 1600, "RDIMM", ("2Rx4", "1Rx4"),
         (("Samsung", "M393B1K70DH0-CK0"), ("SK Hynix", "HMT41GR7AFR4C-PB"),
          ("Micron", "MT36JSF1G72PZ-1G6"), ("", "")), (4, 8, 12, 16, 24)),
    _ram("ddr3-16g-1600-rdimm", 9, "DDR3", 16, 1600, "RDIMM", ("2Rx4",),
         (("Samsung", "M393B2G70BH0-CK0"), ("SK Hynix", "HMT42GR7AFR4C-PB"), ("", "")),
         (4, 8, 12, 16, 24)),
    _ram("ddr5-32g-4800-rdimm", 95, "DDR5", 32, 4800, "RDIMM", ("1Rx4", "2Rx8"),
         (("Samsung", "M321R4GA3BB6-CQK"), ("SK Hynix", "HMCG84EEBRA112N"),
          ("Micron", "MTC20F2085S1RC48BA1"))),
    _ram("ddr5-64g-4800-rdimm", 200, "DDR5", 64, 4800, "RDIMM", ("2Rx4",),
         (("Samsung", "M321R8GA0BB0-CQK"), ("SK Hynix", "HMCG94MEBRA109N"))),
    _ram("ddr4-16g-2666-udimm", 28, "DDR4", 16, 2666, "UDIMM", ("2Rx8",),
         (("Kingston", "KSM26ED8/16ME"), ("Micron", "MTA18ASF2G72AZ-2G6"),
          ("Samsung", "M391A2K43BB1-CTD")), (2, 4)),
    _ram("ddr4-16g-3200-desktop", 28, "DDR4", 16, 3200, "UDIMM", ("2Rx8", "1Rx8"),
         (("Crucial", "CT16G4DFRA32A"), ("Kingston", "KF432C16BB/16"),
          ("G.SKILL", "F4-3200C16S-16GVK")), (2, 4), ecc=False),
    _ram("ddr5-32g-5600-desktop", 85, "DDR5", 32, 5600, "UDIMM", ("2Rx8",),
         (("Kingston", "KF556C40BB-32"), ("Crucial", "CT32G56C46U5")), (2,), ecc=False),
    _ram("ddr4-16g-3200-sodimm", 26, "DDR4", 16, 3200, "SODIMM", ("2Rx8", "1Rx8"),
         (("Samsung", "M471A2K43DB1-CWE"), ("SK Hynix", "HMA82GS6DJR8N-XN"),
          ("Crucial", "CT16G4SFRA32A"), ("Kingston", "KVR32S22D8/16")), (2,), ecc=False),
    _ram("ddr5-32g-4800-sodimm", 70, "DDR5", 32, 4800, "SODIMM", ("2Rx8",),
         (("Samsung", "M425R4GA3BB0-CQK"), ("Crucial", "CT32G48C40S5"),
          ("Kingston", "KVR48S40BD8-32")), (2,), ecc=False),
)  # fmt: skip

_DRIVE = ComponentType.DRIVE
_DRIVE_LOTS = (2, 4, 5, 10)


def _drive(
    key: str, usd: float, iface: str, ff: str, gb: int, media: str, rpm: int | None,
    models: tuple[tuple[str, str, str], ...], u2: bool = False, technology: str | None = None,
) -> Product:  # fmt: skip
    category = "175669" if media == "SSD" else "56083"
    spec = DriveSpec(iface, ff, gb, media, rpm, models, u2, technology)
    return Product(key, _DRIVE, usd, category, spec, _DRIVE_LOTS)


_XPOINT = "3D XPoint"


DRIVE_PRODUCTS: tuple[Product, ...] = (
    _drive("sas-ssd-1920", 110, "SAS", "2.5", 1920, "SSD", None,
           (("Samsung", "PM1643a", "MZILT1T9HBJR-00007"),
            ("HGST", "Ultrastar SS530", "HUSTR7619ASS204"), ("Toshiba", "PM5-V", "KPM5XVUG1T92"))),
    _drive("sas-ssd-3840", 220, "SAS", "2.5", 3840, "SSD", None,
           (("Samsung", "PM1643", "MZILT3T8HALS-00007"),
            ("Seagate", "Nytro 3332", "XS3840SE70084"),
            ("HGST", "Ultrastar SS530", "HUSTR7638ASS204"))),
    _drive("sas-ssd-800", 45, "SAS", "2.5", 800, "SSD", None,
           (("HGST", "Ultrastar SSD1600MM", "HUSMM1680ASS204"),
            ("Samsung", "PM1635a", "MZILS800HEHP"))),
    _drive("sata-ssd-480", 25, "SATA", "2.5", 480, "SSD", None,
           (("Intel", "S4510", "SSDSC2KB480G8"), ("Samsung", "PM883", "MZ7LH480HAHQ"),
            ("Micron", "5300 PRO", "MTFDDAK480TDS"))),
    _drive("sata-ssd-960", 45, "SATA", "2.5", 960, "SSD", None,
           (("Samsung", "PM883", "MZ7LH960HAJR"), ("Intel", "S4510", "SSDSC2KB960G8"),
            ("Micron", "5300 PRO", "MTFDDAK960TDS"), ("Samsung", "PM863a", "MZ7LM960HMJP"))),
    _drive("sata-ssd-1920", 90, "SATA", "2.5", 1920, "SSD", None,
           (("Samsung", "PM883", "MZ7LH1T9HMLT"), ("Intel", "S4610", "SSDSC2KG019T8"),
            ("Micron", "5200 ECO", "MTFDDAK1T9TDC"))),
    _drive("sata-ssd-3840", 180, "SATA", "2.5", 3840, "SSD", None,
           (("Samsung", "PM893", "MZ7L33T8HBLT"), ("Micron", "5300 PRO", "MTFDDAK3T8TDS"),
            ("Intel", "S4510", "SSDSC2KB038T8"))),
    _drive("u2-ssd-1920", 130, "NVMe", "2.5", 1920, "SSD", None,
           (("Samsung", "PM9A3", "MZQL21T9HCJR"), ("Micron", "7300 PRO", "MTFDHBE1T9TDF")),
           u2=True),
    _drive("u2-ssd-3840", 260, "NVMe", "2.5", 3840, "SSD", None,
           (("Samsung", "PM9A3", "MZQL23T8HCLS"), ("Micron", "9300 PRO", "MTFDHAL3T8TDP"),
            ("Samsung", "PM1733", "MZWLJ3T8HBLS")), u2=True),
    _drive("u2-ssd-7680", 520, "NVMe", "2.5", 7680, "SSD", None,
           (("Samsung", "PM9A3", "MZQL27T6HBLA"), ("Micron", "7450 PRO", "MTFDKCC7T6TFR")),
           u2=True),
    _drive("u2-ssd-800", 40, "NVMe", "2.5", 800, "SSD", None,
           (("Intel", "DC P3700", "SSDPE2MD800G4"), ("Samsung", "PM1725", "MZWLL800HEHP")),
           u2=True),
    # Optane (3D XPoint): about ten times NAND's price per GB, so markets of their own.
    _drive("optane-p4800x-375", 120, "NVMe", "2.5", 375, "SSD", None,
           (("Intel", "Optane SSD DC P4800X", "SSDPE21K375GA"),
            ("Intel", "Optane P4800X", "SSDPE21K375GA")), u2=True, technology=_XPOINT),
    _drive("optane-p4800x-750", 280, "NVMe", "2.5", 750, "SSD", None,
           (("Intel", "Optane SSD DC P4800X", "SSDPE21K750GA"),
            ("Intel", "Optane DC P4800X", "SSDPE21K750GA")), u2=True, technology=_XPOINT),
    _drive("optane-p5800x-800", 650, "NVMe", "2.5", 800, "SSD", None,
           (("Intel", "Optane SSD DC P5800X", "SSDPF21Q800GB01"),
            ("Intel", "Optane P5800X", "SSDPF21Q800GB01")), u2=True, technology=_XPOINT),
    _drive("optane-905p-960", 260, "NVMe", "2.5", 960, "SSD", None,
           (("Intel", "Optane SSD 905P", "SSDPE21D960GAM3"),
            ("Intel", "Optane 905P", "SSDPE21D960GA")), u2=True, technology=_XPOINT),
    _drive("optane-p1600x-118", 45, "NVMe", "M.2", 118, "SSD", None,
           (("Intel", "Optane SSD P1600X", "SSDPEK1A118GA01"),
            ("Intel", "Optane P1600X", "SSDPEK1A118GA")), technology=_XPOINT),
    _drive("m2-ssd-960", 70, "NVMe", "M.2", 960, "SSD", None,
           (("Samsung", "PM983", "MZ1LB960HAJQ"), ("Micron", "7450 PRO", "MTFDKBG960TFR"))),
    _drive("m2-ssd-1000", 60, "NVMe", "M.2", 1000, "SSD", None,
           (("Samsung", "970 EVO Plus", "MZ-V7S1T0"), ("WD", "Black SN850", "WDS100T1X0E"))),
    _drive("sas-hdd-600-10k", 12, "SAS", "2.5", 600, "HDD", 10000,
           (("Seagate", "Savvio", "ST600MM0088"), ("HGST", "Ultrastar C10K1800", "HUC101860CSS204"),
            ("HP", "", "781516-B21"))),
    _drive("sas-hdd-1200-10k", 22, "SAS", "2.5", 1200, "HDD", 10000,
           (("Seagate", "Exos 10E2400", "ST1200MM0129"),
            ("HGST", "Ultrastar C10K1800", "HUC101812CSS204"), ("Dell", "", "0G2G54"))),
    _drive("sas-hdd-600-15k", 25, "SAS", "2.5", 600, "HDD", 15000,
           (("Seagate", "Exos 15E900", "ST600MP0006"), ("HP", "", "759212-B21"))),
    _drive("sas-hdd-4000-7k2", 25, "SAS", "3.5", 4000, "HDD", 7200,
           (("HGST", "Ultrastar 7K6000", "HUS726040AL5210"),
            ("Seagate", "Exos 7E8", "ST4000NM0025"))),
    _drive("sata-hdd-8000-7k2", 60, "SATA", "3.5", 8000, "HDD", 7200,
           (("HGST", "Ultrastar He8", "HUH728080ALE600"), ("Seagate", "Exos 7E8", "ST8000NM0055"))),
    _drive("sata-hdd-16000-7k2", 150, "SATA", "3.5", 16000, "HDD", 7200,
           (("Seagate", "Exos X16", "ST16000NM001G"), ("Toshiba", "MG08", "MG08ACA16TE"))),
    _drive("sas-hdd-18000-7k2", 170, "SAS", "3.5", 18000, "HDD", 7200,
           (("Seagate", "Exos X18", "ST18000NM004J"),
            ("WD", "Ultrastar DC HC550", "WUH721818AL5204"))),
)  # fmt: skip

_SERVER = ComponentType.SERVER
_DELL_EXTRAS_13G = ("H730P", "iDRAC8 Enterprise", "2x 750W PSU", "Rails", "2x PSU")
_DELL_EXTRAS_14G = ("H740P", "iDRAC9 Enterprise", "2x 1100W PSU", "Rails", "BOSS", "2x 750W")
_HPE_EXTRAS = ("P408i-a", "2x 800W PSU", "iLO 5 Advanced", "Rails", "2x 500W")
_SFF_BAYS = ('8x 2.5" SFF', "8 Bay SFF", '10x 2.5"', "8SFF")
_LFF_BAYS = ('8x 3.5" LFF', "12 Bay LFF", '4x 3.5"', "4LFF")


def _server(
    key: str, usd: float, mfr: str, model: str, names: tuple[str, ...], ff: str, tier: str,
    configs: tuple[str, ...], bays: tuple[str, ...], extras: tuple[str, ...],
) -> Product:  # fmt: skip
    spec = ServerSpec(mfr, model, names, ff, tier, configs, bays, extras)
    return Product(key, _SERVER, usd, "11211", spec, (2,))


SERVER_PRODUCTS: tuple[Product, ...] = (
    _server("dell-r630-configured", 320, "dell", "r630",
            ("Dell PowerEdge R630", "DELL POWEREDGE R630", "Dell R630"), "1U", "configured",
            ("2x E5-2680 v4 128GB RAM", "2x Xeon E5-2690 v4 256GB", "2x E5-2630 v4 64GB RAM",
             "2x E5-2667 v4 128GB"), _SFF_BAYS, _DELL_EXTRAS_13G),
    _server("dell-r630-barebone", 150, "dell", "r630",
            ("Dell PowerEdge R630", "Dell R630"), "1U", "barebone",
            ("Barebone No CPU No RAM", "No CPU No RAM No HDD", "2x E5-2690 v4 No RAM No HDD",
             "Barebone No CPU/RAM"), _SFF_BAYS, _DELL_EXTRAS_13G),
    _server("dell-r730-configured", 420, "dell", "r730",
            ("Dell PowerEdge R730", "DELL POWEREDGE R730", "Dell R730"), "2U", "configured",
            ("2x E5-2690 v4 256GB RAM", "2x E5-2680 v3 128GB", "2x E5-2650 v4 128GB RAM"),
            (*_LFF_BAYS, *_SFF_BAYS), _DELL_EXTRAS_13G),
    _server("dell-r730xd-configured", 520, "dell", "r730xd",
            ("Dell PowerEdge R730xd", "DELL POWEREDGE R730XD", "Dell R730XD"), "2U",
            "configured", ("2x E5-2680 v4 256GB RAM", "2x E5-2660 v4 128GB", "2x E5-2640 v4 64GB"),
            ('12x 3.5" LFF', '24x 2.5" SFF', "12 Bay LFF", "24SFF"), _DELL_EXTRAS_13G),
    _server("dell-r640-configured", 600, "dell", "r640",
            ("Dell PowerEdge R640", "DELL POWEREDGE R640", "Dell R640"), "1U", "configured",
            ("2x Xeon Gold 6130 192GB RAM", "2x Gold 6148 384GB", "2x Silver 4114 128GB RAM"),
            _SFF_BAYS, _DELL_EXTRAS_14G),
    _server("dell-r740-configured", 800, "dell", "r740",
            ("Dell PowerEdge R740", "DELL POWEREDGE R740", "Dell R740"), "2U", "configured",
            ("2x Gold 6140 256GB RAM", "2x Xeon Gold 6130 192GB", "2x Silver 4214 128GB RAM"),
            ("16SFF", '8x 3.5" LFF', "16 Bay SFF"), _DELL_EXTRAS_14G),
    _server("dell-r740xd-configured", 950, "dell", "r740xd",
            ("Dell PowerEdge R740xd", "DELL POWEREDGE R740XD", "Dell R740XD"), "2U",
            "configured",
            ("2x Gold 6148 384GB RAM", "2x Xeon Gold 6132 256GB", "2X GOLD 6148 384GB"),
            ("24 BAY SFF", '12x 3.5" LFF', '24x 2.5" SFF'), _DELL_EXTRAS_14G),
    _server("dell-r740xd-barebone", 450, "dell", "r740xd",
            ("Dell PowerEdge R740xd", "Dell R740XD"), "2U", "barebone",
            ("Barebone No CPU No RAM", "CTO Barebone No CPU/RAM", "No CPU No Memory"),
            ("24 BAY SFF", '12x 3.5" LFF'), _DELL_EXTRAS_14G),
    _server("dell-r7525-configured", 2200, "dell", "r7525",
            ("Dell PowerEdge R7525", "Dell R7525"), "2U", "configured",
            ("2x AMD EPYC 7402 512GB", "2x EPYC 7302 256GB RAM", "2x EPYC 7542 512GB RAM"),
            ("24x NVMe", "8x 2.5\" SFF", "24 Bay NVMe"), _DELL_EXTRAS_14G),
    _server("hpe-dl360g10-configured", 550, "hpe", "dl360gen10",
            ("HPE ProLiant DL360 Gen10", "HP ProLiant DL360 G10", "HPE DL360 Gen10"), "1U",
            "configured", ("2x Silver 4114 64GB", "2x Gold 6130 128GB RAM", "2x Gold 5118 192GB"),
            _SFF_BAYS, _HPE_EXTRAS),
    _server("hpe-dl380g10-configured", 750, "hpe", "dl380gen10",
            ("HPE ProLiant DL380 Gen10", "HP ProLiant DL380 G10", "HPE DL380 Gen10"), "2U",
            "configured", ("2x Gold 6148 256GB RAM", "2x Silver 4214R 128GB", "2x Gold 6130 192GB"),
            (*_SFF_BAYS, "12LFF"), _HPE_EXTRAS),
    _server("hpe-dl380g10-barebone", 350, "hpe", "dl380gen10",
            ("HPE ProLiant DL380 Gen10", "HPE DL380 Gen10"), "2U", "barebone",
            ("CTO Barebone No CPU No RAM", "Barebone No CPU/RAM", "Chassis No CPU No Memory"),
            _SFF_BAYS, _HPE_EXTRAS),
    _server("hpe-dl380g9-configured", 280, "hpe", "dl380gen9",
            ("HP ProLiant DL380 Gen9", "HP DL380 G9", "HPE ProLiant DL380 Gen9"), "2U",
            "configured", ("2x E5-2690 v3 128GB", "2x E5-2680 v4 256GB RAM", "2x E5-2620 v3 64GB"),
            _SFF_BAYS, ("P440ar", "2x 500W", "iLO 4 Advanced", "Rails")),
    _server("lenovo-sr650-configured", 700, "lenovo", "sr650",
            ("Lenovo ThinkSystem SR650", "LENOVO THINKSYSTEM SR650"), "2U", "configured",
            ("2x Xeon Gold 5118 192GB RAM", "2x Gold 6130 256GB", "2x Silver 4110 64GB"),
            ('8x 2.5" Bay', "16 SFF", "12x LFF"), ("930-8i", "XClarity Enterprise", "2x 750W")),
    _server("lenovo-sr630-partial", 400, "lenovo", "sr630",
            ("Lenovo ThinkSystem SR630",), "1U", "partial",
            ("2x Xeon Gold 5118", "2x Silver 4114", "2x Gold 6126"),
            ('8x 2.5" Bay', "10 SFF"), ("930-8i", "2x 750W", "No HDD")),
    _server("supermicro-6029p-configured", 650, "supermicro", "sys-6029p-trt",
            ("Supermicro SYS-6029P-TRT", "SUPERMICRO SYS-6029P-TRT"), "2U", "configured",
            ("2x Silver 4114 128GB", "2x Gold 6130 256GB RAM", "2X SILVER 4110 64GB"),
            ("8 BAY", '8x 3.5" LFF'), ("X11DPi-NT", "2x 1000W", "IPMI")),
    _server("supermicro-1029p-barebone", 300, "supermicro", "sys-1029p-wtrt",
            ("Supermicro SYS-1029P-WTRT", "Supermicro 1029P-WTRT"), "1U", "barebone",
            ("Barebone No CPU No RAM", "No CPU No RAM No HDD"),
            ('10x 2.5" SFF', "10 Bay NVMe"), ("X11DPU", "2x 750W", "IPMI")),
    _server("cisco-c240m5-configured", 500, "cisco", "c240m5",
            ("Cisco UCS C240 M5",), "2U", "configured",
            ("2x Gold 6132 256GB RAM", "2x Silver 4114 128GB", "2x Gold 6140 384GB"),
            ("24SFF", "12 LFF", '8x 2.5"'), ("VIC 1457", "2x 1050W", "CIMC")),
    _server("cisco-c220m5-configured", 380, "cisco", "c220m5",
            ("Cisco UCS C220 M5",), "1U", "configured",
            ("2x Gold 6126 192GB RAM", "2x Silver 4110 64GB", "2x Gold 5120 128GB"),
            ("10 SFF", '4x 3.5" LFF'), ("VIC 1387", "2x 770W", "CIMC")),
)  # fmt: skip

_CPU = ComponentType.CPU
_CPU_LOTS = (2, 2, 4, 10)


def _cpu(
    key: str, usd: float, mfr: str, family: str, model: str, names: tuple[str, ...],
    cores: int, ghz: str, socket: str, codes: tuple[str, ...] = (),
) -> Product:  # fmt: skip
    spec = CpuSpec(mfr, family, model, names, cores, ghz, socket, codes)
    return Product(key, _CPU, usd, "164", spec, _CPU_LOTS)


_E5 = "LGA2011-3"
_SP = "LGA3647"
CPU_PRODUCTS: tuple[Product, ...] = (
    _cpu("xeon-e5-2680v4", 15, "intel", "xeon", "e5-2680v4",
         ("Intel Xeon E5-2680 v4", "Xeon E5-2680V4", "INTEL XEON E5-2680 V4"), 14, "2.4", _E5,
         ("SR2N7",)),
    _cpu("xeon-e5-2690v4", 25, "intel", "xeon", "e5-2690v4",
         ("Intel Xeon E5-2690 v4", "Xeon E5-2690V4"), 14, "2.6", _E5, ("SR2N2",)),
    _cpu("xeon-e5-2699v4", 70, "intel", "xeon", "e5-2699v4",
         ("Intel Xeon E5-2699 v4", "Xeon E5-2699V4"), 22, "2.2", _E5, ("SR2JS",)),
    _cpu("xeon-e5-2690v3", 10, "intel", "xeon", "e5-2690v3",
         ("Intel Xeon E5-2690 v3", "Xeon E5-2690V3"), 12, "2.6", _E5, ("SR1XN",)),
    _cpu("xeon-gold-6130", 30, "intel", "xeon", "6130",
         ("Intel Xeon Gold 6130", "Xeon Gold 6130"), 16, "2.1", _SP, ("SR3B9",)),
    _cpu("xeon-gold-6148", 45, "intel", "xeon", "6148",
         ("Intel Xeon Gold 6148", "Xeon Gold 6148"), 20, "2.4", _SP, ("SR3B6",)),
    _cpu("xeon-gold-6248r", 130, "intel", "xeon", "6248r",
         ("Intel Xeon Gold 6248R", "Xeon Gold 6248R"), 24, "3.0", _SP, ("SRGZG",)),
    _cpu("xeon-platinum-8280l", 280, "intel", "xeon", "8280l",
         ("Intel Xeon Platinum 8280L", "Xeon Platinum 8280L"), 28, "2.7", _SP),
    _cpu("xeon-silver-4114", 12, "intel", "xeon", "4114",
         ("Intel Xeon Silver 4114", "Xeon Silver 4114"), 10, "2.2", _SP, ("SR3GK",)),
    _cpu("xeon-gold-6338", 380, "intel", "xeon", "6338",
         ("Intel Xeon Gold 6338", "Xeon Gold 6338"), 32, "2.0", "LGA4189"),
    _cpu("xeon-platinum-8380", 750, "intel", "xeon", "8380",
         ("Intel Xeon Platinum 8380", "Xeon Platinum 8380"), 40, "2.3", "LGA4189", ("SRKHR",)),
    _cpu("epyc-7302p", 150, "amd", "epyc", "7302p", ("AMD EPYC 7302P", "EPYC 7302P"), 16,
         "3.0", "SP3", ("100-000000049",)),
    _cpu("epyc-7402", 250, "amd", "epyc", "7402", ("AMD EPYC 7402", "EPYC 7402"), 24, "2.8",
         "SP3", ("100-000000046",)),
    _cpu("epyc-7542", 320, "amd", "epyc", "7542", ("AMD EPYC 7542", "EPYC 7542"), 32, "2.9",
         "SP3", ("100-000000075",)),
    _cpu("epyc-7742", 900, "amd", "epyc", "7742", ("AMD EPYC 7742", "EPYC 7742"), 64, "2.25",
         "SP3", ("100-000000053",)),
    _cpu("epyc-7551p", 90, "amd", "epyc", "7551p", ("AMD EPYC 7551P", "EPYC 7551P"), 32, "2.0",
         "SP3", ("PS755PBDVIHAF",)),
    _cpu("ryzen-5950x", 330, "amd", "ryzen", "5950x", ("AMD Ryzen 9 5950X",), 16, "3.4", "AM4",
         ("100-000000059",)),
    _cpu("threadripper-3970x", 800, "amd", "threadripper", "3970x",
         ("AMD Ryzen Threadripper 3970X", "AMD Threadripper 3970X"), 32, "3.7", "sTRX4"),
    _cpu("core-i9-10900k", 200, "intel", "core", "i9-10900k", ("Intel Core i9-10900K",), 10,
         "3.7", "LGA1200", ("SRH91",)),
)  # fmt: skip

_NIC = ComponentType.NIC


def _nic(key: str, usd: float, speed: str, ports: int, port_type: str, *names: str) -> Product:
    return Product(key, _NIC, usd, "20318", NicSpec(speed, ports, port_type, names), (2, 5))


NIC_PRODUCTS: tuple[Product, ...] = (
    _nic("intel-x520-da2", 25, "10GbE", 2, "SFP+", "Intel X520-DA2", "Intel X520-DA2 E10G42BTDA"),
    _nic("mlx-cx3-mcx312a", 22, "10GbE", 2, "SFP+", "Mellanox ConnectX-3 MCX312A",
         "Mellanox MCX312A ConnectX-3"),
    _nic("intel-x540-t2", 42, "10GbE", 2, "RJ45", "Intel X540-T2", "INTEL X540-T2"),
    _nic("intel-x550-t2", 55, "10GbE", 2, "RJ45", "Intel X550-T2", "Intel X550-T2 X550T2"),
    _nic("intel-x710-da4", 70, "10GbE", 4, "SFP+", "Intel X710-DA4", "Intel X710-DA4 X710DA4FH"),
    _nic("mlx-cx4lx-25g", 60, "25GbE", 2, "SFP28", "Mellanox ConnectX-4 Lx MCX4121A",
         "Mellanox ConnectX-4 Lx CX4121A", "Lenovo Mellanox ConnectX-4 Lx"),
    _nic("intel-xxv710-da2", 85, "25GbE", 2, "SFP28", "Intel XXV710-DA2", "Intel XXV710DA2"),
    _nic("mlx-cx3pro-40g", 35, "40GbE", 2, "QSFP+", "Mellanox ConnectX-3 Pro MCX354A",
         "Mellanox CX354A ConnectX-3 Pro"),
    _nic("mlx-cx5-100g", 180, "100GbE", 2, "QSFP28", "Mellanox ConnectX-5 MCX516A-CCAT",
         "Mellanox ConnectX-5 MCX516A"),
    _nic("intel-i350-t4", 20, "1GbE", 4, "RJ45", "Intel I350-T4", "INTEL I350-T4"),
    _nic("broadcom-5719", 15, "1GbE", 4, "RJ45", "Broadcom BCM5719", "Broadcom 5719"),
    _nic("mlx-cx6-200g", 450, "200GbE", 1, "QSFP56", "Mellanox ConnectX-6 MCX653105A",
         "NVIDIA ConnectX-6 VPI MCX653105A"),
)  # fmt: skip

_GPU = ComponentType.GPU


def _gpu(
    key: str, usd: float, mfr: str, model: str, gb: int, memory: str, names: tuple[str, ...],
    extras: tuple[str, ...] = (),
) -> Product:  # fmt: skip
    spec = GpuSpec(mfr, model, gb, names, memory, extras)
    return Product(key, _GPU, usd, "27386", spec, (2, 4))


GPU_PRODUCTS: tuple[Product, ...] = (
    _gpu("tesla-p40", 180, "nvidia", "p40", 24, "GDDR5", ("NVIDIA Tesla P40", "Nvidia Tesla P40"),
         ("Passive", "900-2G610-0000-000", "Accelerator")),
    _gpu("tesla-p4", 75, "nvidia", "p4", 8, "GDDR5", ("NVIDIA Tesla P4",),
         ("Low Profile", "Inference", "900-2G414-0000-000")),
    _gpu("tesla-m40", 60, "nvidia", "m40", 24, "GDDR5", ("NVIDIA Tesla M40",),
         ("Compute", "Passive")),
    _gpu("tesla-t4", 600, "nvidia", "t4", 16, "GDDR6", ("NVIDIA Tesla T4", "Nvidia T4"),
         ("Low Profile", "Inference", "900-2G183-0000-000")),
    _gpu("tesla-v100-32", 950, "nvidia", "v100", 32, "HBM2", ("NVIDIA Tesla V100",),
         ("PCIe", "900-2G500-0010-000", "Passive")),
    _gpu("a100-40", 4500, "nvidia", "a100", 40, "HBM2", ("NVIDIA A100", "Nvidia A100 PCIe"),
         ("Tensor Core", "900-21001-0000-000")),
    _gpu("rtx-a4000", 550, "nvidia", "a4000", 16, "GDDR6", ("NVIDIA RTX A4000", "PNY RTX A4000"),
         ("Single Slot", "Workstation")),
    _gpu("quadro-p2000", 90, "nvidia", "p2000", 5, "GDDR5",
         ("NVIDIA Quadro P2000", "Dell NVIDIA Quadro P2000"), ("4x DP", "Pulled Working")),
    _gpu("rtx-3090", 700, "nvidia", "3090", 24, "GDDR6X",
         ("NVIDIA GeForce RTX 3090", "EVGA RTX 3090 FTW3 Ultra", "ASUS TUF RTX 3090",
          "MSI GeForce RTX 3090 Gaming X Trio"), ("Founders Edition", "Gaming", "Video Card")),
    _gpu("rtx-3090ti", 850, "nvidia", "3090ti", 24, "GDDR6X",
         ("NVIDIA GeForce RTX 3090 Ti", "EVGA RTX 3090 Ti FTW3 Ultra"), ("Gaming", "Video Card")),
    _gpu("rtx-3060", 220, "nvidia", "3060", 12, "GDDR6",
         ("NVIDIA GeForce RTX 3060", "Gigabyte RTX 3060 Gaming OC"), ("LHR", "Video Card")),
    _gpu("instinct-mi50", 130, "amd", "mi50", 16, "HBM2",
         ("AMD Radeon Instinct MI50", "AMD Instinct MI50"), ("Accelerator", "Passive")),
    _gpu("radeon-pro-w6800", 1000, "amd", "w6800", 32, "GDDR6", ("AMD Radeon Pro W6800",),
         ("Workstation", "6x mDP")),
)  # fmt: skip


def _system(
    key: str, ctype: ComponentType, usd: float, mfr: str, model: str, names: tuple[str, ...],
    forms: tuple[str, ...], configs: tuple[str, ...], extras: tuple[str, ...],
    lots: tuple[int, ...] = (),
) -> Product:  # fmt: skip
    spec = SystemSpec(mfr, model, names, forms, configs, extras)
    return Product(key, ctype, usd, "179", spec, lots)


_WS = ComponentType.WORKSTATION
_DESK = ComponentType.DESKTOP
_WS_EXTRAS = ("Win 10 Pro", "Quadro P4000", "RTX A4000", "Tested Working", "Rack Kit")
_DESK_EXTRAS = ("Win 11 Pro", "Tested Working", "WiFi", "Keyboard Mouse", "Grade A")
_DESK_LOTS = (3, 5, 10)

SYSTEM_PRODUCTS: tuple[Product, ...] = (
    _system("dell-t7920", _WS, 500, "dell", "t7920",
            ("Dell Precision T7920", "Dell Precision 7920"), ("Tower", "Workstation Tower"),
            ("2x Xeon Gold 6148 128GB 1TB SSD", "2x Silver 4114 64GB 512GB",
             "2x Gold 6136 192GB 2TB NVMe"), _WS_EXTRAS),
    _system("dell-precision-5820", _WS, 400, "dell", "precision5820",
            ("Dell Precision 5820",), ("Tower", "Workstation"),
            ("Xeon W-2145 64GB RAM 1TB SSD", "Xeon W-2135 32GB 512GB SSD",
             "W-2175 128GB 2TB NVMe"), _WS_EXTRAS),
    _system("dell-precision-7820", _WS, 450, "dell", "precision7820",
            ("Dell Precision 7820",), ("Tower", "Workstation"),
            ("2x Xeon Silver 4114 64GB No HDD", "2x Gold 6130 128GB 1TB SSD"), _WS_EXTRAS),
    _system("hp-z8-g4", _WS, 900, "hp", "z8g4", ("HP Z8 G4",), ("Workstation", "Tower"),
            ("2x Xeon Gold 6136 192GB 2TB NVMe", "2x Gold 6148 256GB 1TB SSD",
             "2x Silver 4116 96GB 512GB"), _WS_EXTRAS),
    _system("hp-z4-g4", _WS, 350, "hp", "z4g4", ("HP Z4 G4",), ("Workstation", "Tower"),
            ("Xeon W-2125 32GB 1TB", "Xeon W-2145 64GB 512GB SSD"), _WS_EXTRAS),
    _system("hp-z440", _WS, 150, "hp", "z440", ("HP Z440",), ("Workstation", "Tower"),
            ("E5-1650 v4 32GB RAM 256GB SSD", "E5-2690 v4 64GB 512GB SSD"), _WS_EXTRAS),
    _system("lenovo-p920", _WS, 800, "lenovo", "p920", ("Lenovo ThinkStation P920",),
            ("Workstation", "Tower"),
            ("2x Gold 6148 256GB 2TB SSD", "2x Silver 4116 96GB 1TB SSD"), _WS_EXTRAS),
    _system("dell-optiplex-7080", _DESK, 200, "dell", "optiplex7080",
            ("Dell OptiPlex 7080", "Dell Optiplex 7080"), ("Micro", "MFF", "SFF"),
            ("i5-10500T 16GB 256GB SSD", "i7-10700 32GB 512GB NVMe", "i5-10500 8GB 256GB SSD"),
            _DESK_EXTRAS, _DESK_LOTS),
    _system("dell-optiplex-3060", _DESK, 110, "dell", "optiplex3060",
            ("Dell OptiPlex 3060",), ("Micro", "SFF"),
            ("i5-8500T 8GB 128GB SSD", "i3-8100T 8GB 256GB SSD"), _DESK_EXTRAS, _DESK_LOTS),
    _system("hp-elitedesk-800-g6", _DESK, 220, "hp", "elitedesk800g6",
            ("HP EliteDesk 800 G6",), ("Mini", "SFF", "Desktop Mini"),
            ("i5-10500 16GB 256GB SSD", "i7-10700 32GB 512GB"), _DESK_EXTRAS, _DESK_LOTS),
    _system("hp-prodesk-600-g4", _DESK, 120, "hp", "prodesk600g4",
            ("HP ProDesk 600 G4",), ("SFF", "Mini"),
            ("i5-8500 8GB RAM 500GB HDD", "i5-8500T 16GB 256GB SSD"), _DESK_EXTRAS, _DESK_LOTS),
    _system("lenovo-m920q", _DESK, 180, "lenovo", "m920q",
            ("Lenovo ThinkCentre M920q", "Lenovo M920q"), ("Tiny",),
            ("i5-8500T 16GB 256GB SSD", "i7-8700T 32GB 512GB NVMe"), _DESK_EXTRAS, _DESK_LOTS),
    _system("lenovo-m720q", _DESK, 140, "lenovo", "m720q",
            ("Lenovo ThinkCentre M720q",), ("Tiny",),
            ("i5-8400T 8GB 256GB SSD", "i3-8100T 8GB 128GB"), _DESK_EXTRAS, _DESK_LOTS),
)  # fmt: skip

_OTHER = ComponentType.OTHER


def _acc(
    key: str, usd: float, category: str, titles: tuple[str, ...], titles_de: tuple[str, ...],
    lots: tuple[int, ...] = (),
) -> Product:  # fmt: skip
    return Product(key, _OTHER, usd, category, AccessorySpec(titles, titles_de), lots)


ACCESSORY_PRODUCTS: tuple[Product, ...] = (
    _acc("r740xd-backplane", 60, "11211",
         ("Dell PowerEdge R740xd 24-bay 2.5in SAS Backplane",
          "Dell R740XD 24 Bay SFF Backplane Board 0YWR7D"),
         ("Dell PowerEdge R740xd 24-Bay Backplane gebraucht",)),
    _acc("r630-rails", 35, "11211",
         ("Dell PowerEdge R630 Sliding Rails ReadyRails II", "Dell R630 Rail Kit 1U Sliding"),
         ("Dell PowerEdge R630 Schienen Rail Kit",)),
    _acc("dl380g10-rails", 45, "11211",
         ("HPE DL380 Gen10 Rail Kit 733660-B21", "HPE ProLiant DL380 Gen10 Easy Install Rail Kit"),
         ("HPE DL380 Gen10 Rail Kit Schienen",)),
    _acc("sr650-rails", 40, "11211",
         ("Lenovo ThinkSystem SR650 Rail Kit 7M27A05699",), ("Lenovo SR650 Rail Kit Schienen",)),
    _acc("dell-2.5-caddy", 7, "58058",
         ("2.5in Caddy for Dell R630 R730 R640 Hot Swap Tray",
          "Lot of {q} Dell 2.5\" SFF Caddy Tray R630"),
         ("{q} Stück Dell 2,5 Zoll Einbaurahmen R630 R730",), (4, 8, 10)),
    _acc("hpe-gen10-caddy", 10, "58058",
         ("HPE Gen10 SFF Drive Tray Caddy 870753-001", "Lot of {q} HPE Gen10 SFF Caddy 870753-001"),
         ("HPE Gen10 2,5 Zoll Einbaurahmen 870753-001",), (4, 8)),
    _acc("r740-psu", 35, "58058",
         ("Dell PowerEdge R740 750W PSU Power Supply 0GTXNH", "Dell R740 R640 750W Platinum PSU"),
         ("Dell R740 750W Netzteil PSU",), (2,)),
    _acc("hpe-800w-psu", 30, "58058",
         ("HPE 800W Flex Slot Platinum PSU 865414-B21 Gen10",),
         ("HPE 800W Flex Slot Netzteil 865414-B21",), (2,)),
    _acc("perc-h730p", 40, "58058",
         ("Dell PERC H730P Mini Mono RAID Controller 2GB Cache",
          "Dell H730P Mini Mono RAID for R730"),
         ("Dell PERC H730P RAID Controller gebraucht",)),
    _acc("r740-riser", 20, "58058",
         ("Dell PowerEdge R740 Riser 1 PCIe Card", "Dell R740 R740xd Riser 2 Board"),
         ("Dell R740 Riser Karte",)),
    _acc("x11dph-t-board", 250, "1244",
         ("Supermicro X11DPH-T Dual LGA3647 Server Motherboard",
          "Supermicro X11DPH-T Motherboard + IO Shield"),
         ("Supermicro X11DPH-T Mainboard LGA3647",)),
    _acc("romed8-2t-board", 550, "1244",
         ("ASRock Rack ROMED8-2T SP3 EPYC Motherboard ATX",),
         ("ASRock Rack ROMED8-2T Mainboard SP3",)),
    _acc("sfp-plus-sr", 8, "58058",
         ("Intel FTLX8571D3BCV-IT 10GbE SFP+ SR Transceiver 850nm",
          "10GbE SFP+ Transceiver SR 850nm Intel FTLX8571D3BCV-IT Lot of {q}",
          "Lot of {q} 10G SFP+ SR Transceiver Finisar"),
         ("{q} Stück SFP+ 10G SR Transceiver",), (4, 10)),
    _acc("qsfp-dac", 15, "58058",
         ("Mellanox 40GbE QSFP+ DAC Cable 3m MC2206130-003",), ("Mellanox QSFP+ DAC Kabel 3m",)),
    _acc("dl360g10-fan", 12, "58058",
         ("HP DL360 Gen10 Fan Module 875075-001", "Lot of {q} HP DL360 Gen10 Fan 875075-001"),
         ("HPE DL360 Gen10 Lüfter 875075-001",), (4, 7)),
    _acc("p40-shroud", 20, "58058",
         ("NVIDIA Tesla P40 Cooling Fan Shroud with 40mm Fan", "Tesla P40 P100 Fan Shroud Kit"),
         ("Tesla P40 Lüfter Shroud",)),
    _acc("r730-bezel", 15, "58058",
         ("Dell PowerEdge R730 Front Bezel with Key", "Dell R730 R730xd Bezel LCD Key"),
         ("Dell R730 Frontblende mit Schlüssel",)),
    _acc("parts-box", 40, "58058",
         ("Box of Server Parts Fans Caddies Cables Mixed Lot",
          "Empty Lot - Dell PowerEdge Server Spare Parts Box Mixed"),
         ("Konvolut Server Ersatzteile Lüfter Kabel",)),
)  # fmt: skip

PRODUCTS: tuple[Product, ...] = (
    RAM_PRODUCTS
    + DRIVE_PRODUCTS
    + SERVER_PRODUCTS
    + CPU_PRODUCTS
    + NIC_PRODUCTS
    + GPU_PRODUCTS
    + SYSTEM_PRODUCTS
    + ACCESSORY_PRODUCTS
)


def products_by_type() -> dict[ComponentType, tuple[Product, ...]]:
    """The product table grouped by component type, in table order."""
    grouped: dict[ComponentType, list[Product]] = {t: [] for t in ComponentType}
    for product in PRODUCTS:
        grouped[product.component_type].append(product)
    return {t: tuple(ps) for t, ps in grouped.items()}
