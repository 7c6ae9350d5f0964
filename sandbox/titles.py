"""Listing titles in real eBay style, rendered from a product spec with seeded variety.

A title always states the product's graded attributes (so ground truth holds) in one of
several spellings sellers use, plus optional marketing words that are dropped first when
the title would pass eBay's 80-character limit.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from core.models import ComponentType, Marketplace
from sandbox.products import (
    AccessorySpec,
    CpuSpec,
    DriveSpec,
    GpuSpec,
    NicSpec,
    Product,
    RamSpec,
    ServerSpec,
    SystemSpec,
)

MAX_TITLE = 80  # eBay's limit


@dataclass(frozen=True, slots=True)
class TitleContext:
    """What besides the product shapes a title."""

    rng: random.Random
    marketplace: Marketplace
    german: bool
    quantity: int
    condition_id: int


def render_title(product: Product, ctx: TitleContext) -> str:
    """A title for `product` sold `ctx.quantity` at a time in `ctx.condition_id` condition."""
    spec = product.spec
    if isinstance(spec, RamSpec):
        core, extras = _ram(spec, ctx)
    elif isinstance(spec, DriveSpec):
        core, extras = _drive(spec, ctx)
    elif isinstance(spec, ServerSpec):
        core, extras = _server(spec, ctx)
    elif isinstance(spec, CpuSpec):
        core, extras = _cpu(spec, ctx)
    elif isinstance(spec, NicSpec):
        core, extras = _nic(spec, ctx)
    elif isinstance(spec, GpuSpec):
        core, extras = _gpu(spec, ctx)
    elif isinstance(spec, SystemSpec):
        core, extras = _system(spec, product.component_type, ctx)
    else:
        core, extras = _accessory(spec, ctx)
    return _fit(_with_condition(core, ctx), extras + _market_words(ctx))


class _Opt(str):
    """A core word the title loses first when it would pass the length limit."""

    __slots__ = ()


class _Soft(str):
    """A core word the title loses only when dropping every `_Opt` word was not enough."""

    __slots__ = ()


class _Parts(str):
    """The for-parts phrase; shortened rather than dropped."""

    __slots__ = ()


def _fit(core: list[str], extras: list[str]) -> str:
    """Join the core words, then add extras while the title stays within eBay's limit."""
    words = [part for part in core if part]
    for kind in (_Opt, _Parts, _Soft):
        while len(" ".join(words)) > MAX_TITLE:
            found = [i for i, word in enumerate(words) if isinstance(word, kind)]
            if not found:
                break
            if kind is _Parts:
                words[found[-1]] = "defekt" if "defekt" in words[found[-1]] else "For Parts"
                break
            del words[found[-1]]
    title = " ".join(words)
    if len(title) > MAX_TITLE:  # only a malformed table entry gets here
        raise ValueError(f"title core longer than {MAX_TITLE}: {title!r}")
    for extra in extras:
        # Skip words the title already says ("Tested" then "Tested Working").
        seen = set(title.lower().split())
        if not extra or extra.lower().split()[0] in seen:
            continue
        if len(title) + 1 + len(extra) <= MAX_TITLE:
            title = f"{title} {extra}"
    return title


def _pick(rng: random.Random, options: tuple[str, ...] | list[str]) -> str:
    return options[rng.randrange(len(options))]


def _maybe(rng: random.Random, p: float, text: str) -> str:
    return text if rng.random() < p else ""


def _with_condition(core: list[str], ctx: TitleContext) -> list[str]:
    rng = ctx.rng
    if ctx.condition_id == 7000:
        if ctx.german:
            return [*core, _Parts(_pick(rng, ("defekt", "defekt Bastler", "Bastler defekt")))]
        phrase = ("For Parts", "For Parts Not Working", "AS-IS For Parts", "For Parts/Repair")
        return [*core, _Parts(_pick(rng, phrase))]
    if ctx.condition_id == 1000 and rng.random() < 0.5:
        if ctx.german:
            return [*core, _Opt(_pick(rng, ("neu", "NEU OVP")))]
        return [_Opt(_pick(rng, ("NEW", "New", "NEW SEALED"))), *core]
    if ctx.condition_id == 1500 and rng.random() < 0.4:
        return [*core, _Opt(_pick(rng, ("Open Box", "New Other", "NOB")))]
    if ctx.condition_id in (2000, 2500) and rng.random() < 0.4:
        return [*core, _Opt(_pick(rng, ("Refurbished", "Refurb", "Renewed")))]
    return core


def _market_words(ctx: TitleContext) -> list[str]:
    rng = ctx.rng
    if ctx.german:
        words = ["gebraucht", "getestet", "schneller Versand", "Rechnung MwSt", "Versand DE"]
    elif ctx.marketplace is Marketplace.EBAY_GB:
        words = ["UK Stock", "VAT Inc", "Free P&P", "UK Seller", "Tested"]
    elif ctx.marketplace is Marketplace.EBAY_AU:
        words = ["AU Stock", "Free Postage", "Sydney", "AU Seller", "Tested"]
    elif ctx.marketplace is Marketplace.EBAY_DE:
        words = ["Tested", "EU Seller", "Fast Shipping"]
    else:
        words = ["Free Shipping", "FAST SHIP", "Tested", "Tested Working", "US Seller"]
    if ctx.condition_id == 7000:
        words = [w for w in words if "Test" not in w and "getestet" not in w]
    elif ctx.condition_id in (1000, 1500):
        words = [w for w in words if w != "gebraucht"]  # "used" would contradict "new"
    rng.shuffle(words)
    # German titles get at least one German selling word (when it fits) to read as ebay.de.
    count = rng.randrange(1 if ctx.german else 0, 3)
    return words[:count]


def _lot_prefix(ctx: TitleContext) -> str:
    q = ctx.quantity
    if q == 1:
        return ""
    if ctx.german:
        return _pick(ctx.rng, (f"{q}x", f"{q} Stück", f"{q} x"))
    return _pick(ctx.rng, (f"LOT OF {q}", f"Lot of {q}", f"{q}x", f"(LOT OF {q})", f"Lot {q}x"))


# --- RAM ---------------------------------------------------------------------------

_PC_RATE = {
    1333: "10600",
    1600: "12800",
    1866: "14900",
    2133: "17000",
    2400: "19200",
    2666: "21300",
    2933: "23400",
    3200: "25600",
    4800: "38400",
    5600: "44800",
}
_DDR4_BIN = {2133: "2133P", 2400: "2400T", 2666: "2666V", 2933: "2933Y", 3200: "3200AA"}


def _ram_speed(spec: RamSpec, rng: random.Random) -> list[str]:
    gen, mhz = spec.generation, spec.speed_mhz
    digit = gen[-1]
    suffix = {"RDIMM": "R", "LRDIMM": "L", "UDIMM": "E" if spec.ecc else "U", "SODIMM": "S"}[
        spec.module
    ]
    options: list[list[str]] = [
        [f"{gen}-{mhz}"],
        [gen, f"{mhz}MHz"],
        [gen, f"PC{digit}-{_PC_RATE[mhz]}"],
    ]
    if gen == "DDR4":
        options.append([gen, f"PC4-{_DDR4_BIN[mhz]}-{suffix}"])
        options.append([f"PC4-{_DDR4_BIN[mhz]}"])
    elif gen == "DDR3":
        options.append([f"PC3-{_PC_RATE[mhz]}{suffix}", gen])
    else:
        options.append([gen, f"PC5-{mhz}B"])
    return _pick_list(rng, options)


def _pick_list(rng: random.Random, options: list[list[str]]) -> list[str]:
    return options[rng.randrange(len(options))]


def _ram_kind(spec: RamSpec, rng: random.Random, german: bool) -> str:
    if spec.module == "RDIMM":
        return _pick(rng, ("ECC Registered", "ECC REG", "RDIMM", "ECC RDIMM", "Registered ECC"))
    if spec.module == "LRDIMM":
        return _pick(rng, ("LRDIMM", "ECC LRDIMM", "Load Reduced ECC LRDIMM"))
    if spec.module == "UDIMM" and spec.ecc:
        return _pick(rng, ("ECC Unbuffered", "ECC UDIMM", "Unbuffered ECC"))
    if spec.module == "SODIMM":
        if german:
            return _pick(rng, ("SO-DIMM Notebook", "Laptop SO-DIMM", "SODIMM"))
        return _pick(rng, ("SODIMM", "SO-DIMM Laptop Memory", "Laptop RAM SODIMM",
                           "SO-DIMM", "Laptop Memory"))  # fmt: skip
    if german:
        return _pick(rng, ("Non-ECC Desktop", "Desktop non-ECC"))
    return _pick(rng, ("Non-ECC", "Desktop Memory", "Non-ECC UDIMM", "Desktop RAM"))


def _ram(spec: RamSpec, ctx: TitleContext) -> tuple[list[str], list[str]]:
    rng, q, gb = ctx.rng, ctx.quantity, spec.capacity_gb
    maker, number = spec.makers[rng.randrange(len(spec.makers))]
    brand, part = _Opt(maker), _Opt(number)
    speed = _ram_speed(spec, rng)
    if spec.generation not in " ".join(speed):
        speed = [spec.generation, *speed]
    kind = _ram_kind(spec, rng, ctx.german)
    rank = _Opt(_maybe(rng, 0.6, _pick(rng, spec.ranks)))
    server = spec.server
    if ctx.german:
        noun = "Arbeitsspeicher"
    else:
        noun = _Opt(_pick(rng, ("Server Memory", "Server RAM", "Memory", "")) if server else "")
    size = f"{gb}GB"
    lot = ""
    if q > 1:
        style = rng.randrange(4)
        if style == 0:
            size = f"{gb * q}GB ({q}x{gb}GB)"
        elif style == 1:
            size = f"{gb * q}GB KIT {q}X {gb}GB"
        elif style == 2:
            size = f"{q}x {gb}GB"
        else:
            lot = _lot_prefix(ctx)
    layout = rng.randrange(3)
    if layout == 0:
        core = [lot, brand, size, rank, *speed, kind, part, noun]
    elif layout == 1:
        core = [lot, brand, part, size, *speed, kind, noun]
    else:
        core = [lot, size, *speed, kind, noun, rank, brand]
    extras = ["Server Memory Kit" if q > 1 and server else "", part if layout == 2 else ""]
    return core, extras


# --- drives --------------------------------------------------------------------------


def _capacity(gb: int, rng: random.Random) -> str:
    if gb < 1000:
        return f"{gb}GB"
    if gb % 1000 == 0:
        return f"{gb // 1000}TB"
    if rng.random() < 0.2:
        return f"{gb}GB"
    return f"{gb / 1000:g}TB"


def _drive(spec: DriveSpec, ctx: TitleContext) -> tuple[list[str], list[str]]:
    rng, de = ctx.rng, ctx.german
    maker, series, number = spec.models[rng.randrange(len(spec.models))]
    brand, part = _Opt(maker), _Opt(number)
    # "Optane P4800X" is what makes an Optane drive its own market: never dropped.
    line = series if spec.technology is not None else _Opt(series)
    size = _capacity(spec.capacity_gb, rng)
    if spec.interface == "SAS":
        iface = _pick(rng, ("SAS 12Gb/s", "SAS 12G", "12Gbps SAS", "SAS"))
    elif spec.interface == "SATA":
        iface = _pick(rng, ("SATA 6Gb/s", "SATA III", "SATA 6G", "SATA"))
    elif spec.u2:
        iface = _pick(rng, ("NVMe U.2", "U.2 NVMe PCIe", "U.2 NVMe PCIe Gen4"))
    else:
        iface = _pick(rng, ("M.2 NVMe", "NVMe M.2 2280", "M.2 22110 NVMe"))
    inch = '"' if not de else " Zoll"
    if spec.form_factor == "2.5" and not spec.u2:
        form = f"2,5{inch}" if de else _pick(rng, ('2.5"', "2.5in", "SFF 2.5"))
    elif spec.form_factor == "3.5":
        form = f"3,5{inch}" if de else _pick(rng, ('3.5"', "3.5in", "LFF 3.5"))
    else:
        form = _maybe(rng, 0.3, '2.5"') if spec.u2 else ""
    rpm = ""
    if spec.rpm is not None:
        k = {7200: "7.2K", 10000: "10K", 15000: "15K"}[spec.rpm]
        rpm = _pick(rng, (k, f"{spec.rpm}RPM", f"{k} RPM", f"{spec.rpm} rpm"))
    if spec.media == "SSD":
        media = "SSD"
    elif de:
        media = "HDD Festplatte" if rng.random() < 0.5 else "Festplatte"
    else:
        media = _pick(rng, ("HDD", "Hard Drive", "Enterprise HDD", "HDD"))
    lot = _lot_prefix(ctx)
    if rng.random() < 0.5:
        core = [lot, brand, line, size, iface, form, rpm, media, part]
    else:
        core = [lot, size, brand, line, iface, rpm, form, media, part]
    extras = ["Enterprise" if not de else "", _pick(rng, ("w/ Tray", "with Caddy", "Data Center"))]
    return core, extras


# --- servers, CPUs, NICs, GPUs, systems ----------------------------------------------------


def _server(spec: ServerSpec, ctx: TitleContext) -> tuple[list[str], list[str]]:
    rng = ctx.rng
    name = _pick(rng, spec.names)
    ff = "Tower" if spec.form_factor == "tower" else spec.form_factor
    bays = _pick(rng, spec.bays)
    if ctx.german:
        bays = bays.replace('2.5"', "2,5 Zoll").replace('3.5"', "3,5 Zoll")
    bays = _Opt(bays)
    config = _pick(rng, spec.configs)
    lot = _lot_prefix(ctx)
    core = [lot, name, ff, config, bays] if rng.random() < 0.6 else [lot, name, config, bays, ff]
    if ctx.german:
        core.append("Server")
    elif rng.random() < 0.4:
        core.insert(3, _Opt("Server"))
    extras = list(spec.extras)
    rng.shuffle(extras)
    return core, extras[:2]


def _cpu(spec: CpuSpec, ctx: TitleContext) -> tuple[list[str], list[str]]:
    rng, de = ctx.rng, ctx.german
    name = _pick(rng, spec.names)
    code = _Opt(_pick(rng, spec.codes) if spec.codes and rng.random() < 0.6 else "")
    socket = _Opt(spec.socket)
    if de:
        cores = f"{spec.cores} Kerne"
        ghz = spec.ghz.replace(".", ",") + "GHz"
        noun = _pick(rng, ("Prozessor", "CPU Prozessor"))
    else:
        cores = _pick(rng, (f"{spec.cores}-Core", f"{spec.cores} Core", f"{spec.cores}C"))
        ghz = f"{spec.ghz}GHz"
        noun = _pick(rng, ("CPU", "Processor", "CPU Processor", "Server CPU", ""))
    if ctx.quantity == 2 and rng.random() < 0.5:
        lot = "Matched Pair" if not de else "Paar"
    else:
        lot = _lot_prefix(ctx)
    if rng.random() < 0.5:
        core = [lot, name, code, ghz, cores, socket, _Opt(noun)]
    else:
        core = [lot, name, cores, ghz, socket, _Opt(noun), code]
    return core, []


def _nic(spec: NicSpec, ctx: TitleContext) -> tuple[list[str], list[str]]:
    rng = ctx.rng
    name = _pick(rng, spec.names)
    ports = {
        1: ("Single Port", "1-Port"),
        2: ("Dual Port", "2-Port", "Dual-Port"),
        4: ("Quad Port", "4-Port"),
    }[spec.port_count]
    port = _pick(rng, ports)
    speed = spec.speed
    if spec.port_type == "RJ45" and speed == "10GbE" and rng.random() < 0.3:
        speed = "10GBase-T"
    elif speed == "1GbE" and rng.random() < 0.4:
        speed = "Gigabit"
    noun = _Soft("Netzwerkkarte") if ctx.german else _Opt(_pick(
        rng, ("PCIe NIC", "Network Adapter", "Network Card", "PCIe Network Adapter", "NIC")
    ))  # fmt: skip
    lot = _lot_prefix(ctx)
    if rng.random() < 0.5:
        core = [lot, name, speed, port, spec.port_type, noun]
    else:
        core = [lot, name, port, speed, spec.port_type, noun]
    return core, [_pick(rng, ("Low Profile", "Full Height", "PCIe 3.0"))]


def _gpu(spec: GpuSpec, ctx: TitleContext) -> tuple[list[str], list[str]]:
    rng = ctx.rng
    name = _pick(rng, spec.names)
    noun = _Soft("Grafikkarte") if ctx.german else _Opt(_pick(
        rng, ("GPU", "Graphics Card", "PCIe GPU", "Video Card", "GPU Accelerator")
    ))  # fmt: skip
    core = [_lot_prefix(ctx), name, f"{spec.vram_gb}GB", spec.memory, noun]
    extras = list(spec.extras)
    rng.shuffle(extras)
    return core, extras[:2]


def _system(
    spec: SystemSpec, ctype: ComponentType, ctx: TitleContext
) -> tuple[list[str], list[str]]:
    rng = ctx.rng
    name = _pick(rng, spec.names)
    form = _pick(rng, spec.forms)
    config = _pick(rng, spec.configs)
    noun: str = ""
    if ctype is ComponentType.WORKSTATION and "Workstation" not in form:
        noun = _Opt("Workstation")
    elif ctype is ComponentType.DESKTOP and ctx.german:
        noun = "Mini PC"
    core = [_lot_prefix(ctx), name, _Opt(form), config, noun]
    extras = list(spec.extras)
    rng.shuffle(extras)
    return core, extras[:2]


def _accessory(spec: AccessorySpec, ctx: TitleContext) -> tuple[list[str], list[str]]:
    rng, q = ctx.rng, ctx.quantity
    pool = spec.titles_de if ctx.german and spec.titles_de else spec.titles
    with_lot = [t for t in pool if "{q}" in t]
    if q > 1 and with_lot:
        title = _pick(rng, with_lot).format(q=q)
        return [title], []
    title = _pick(rng, [t for t in pool if "{q}" not in t] or [t.format(q=1) for t in pool])
    lot = f"Lot of {q}" if q > 1 and not ctx.german else f"{q} Stück" if q > 1 else ""
    return [lot, title] if rng.random() < 0.5 else [title, lot], []
