"""Watch attribute filters: the syntax users type, typed by the attribute catalogue."""

from __future__ import annotations

import pytest

from core.filters import AttributeFilter, FilterError, FilterOp, parse_filter, validate_filters
from core.models import ComponentType

RAM, NIC, DRIVE = ComponentType.RAM, ComponentType.NIC, ComponentType.DRIVE


@pytest.mark.parametrize(
    ("text", "kind", "attribute", "op", "value"),
    [
        ("capacity_gb>=32", RAM, "capacity_gb", FilterOp.MIN, 32),
        ("capacity_gb <= 64", RAM, "capacity_gb", FilterOp.MAX, 64),
        ("capacity_gb=32", RAM, "capacity_gb", FilterOp.EQ, 32),
        ("capacity_gb==32.0", RAM, "capacity_gb", FilterOp.EQ, 32),
        ("generation=ddr4", RAM, "generation", FilterOp.EQ, "DDR4"),
        ("registered=yes", RAM, "registered", FilterOp.EQ, True),
        ("ecc=false", RAM, "ecc", FilterOp.EQ, False),
        ("module=lrdimm", RAM, "module", FilterOp.EQ, "LRDIMM"),
        ("module in RDIMM, so-dimm", RAM, "module", FilterOp.IN, ["RDIMM", "SODIMM"]),
        ("technology=3D XPoint", DRIVE, "technology", FilterOp.EQ, "3D XPoint"),
        ("port_type in sfp+, SFP28", NIC, "port_type", FilterOp.IN, ["SFP+", "SFP28"]),
        ("speed=10gbe", NIC, "speed", FilterOp.EQ, "10GbE"),
        ("interface=nvme", DRIVE, "interface", FilterOp.EQ, "NVMe"),
        ("form_factor=m.2", DRIVE, "form_factor", FilterOp.EQ, "M.2"),
        ("Quantity>=2", DRIVE, "quantity", FilterOp.MIN, 2),
        ("condition=used working", DRIVE, "condition", FilterOp.EQ, "used_working"),
        ("model=R740 XD", ComponentType.SERVER, "model", FilterOp.EQ, "r740xd"),
    ],
)
def test_parse(text: str, kind: ComponentType, attribute: str, op: FilterOp, value: object) -> None:
    parsed = parse_filter(text, kind)
    assert (parsed.attribute, parsed.op, parsed.value) == (attribute, op, value)
    assert type(parsed.value) is type(value)


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [
        ("capacity", RAM, "cannot read filter 'capacity'"),
        ("capacity_gb>=", RAM, "cannot read filter"),
        ("capacity_gb>32", RAM, "cannot read filter"),
        (
            "capacity_gb:32",
            RAM,
            "write capacity_gb=32 for exactly 32, or capacity_gb>=32 / "
            "capacity_gb<=32 for at least / at most",
        ),
        ("colour=red", RAM, "unknown attribute 'colour' for type ram; known: capacity_gb"),
        ("capacity_gb>=lots", RAM, "capacity_gb is a whole number, not 'lots'"),
        ("capacity_gb=32.5", RAM, "capacity_gb is a whole number, not '32.5'"),
        ("generation>=DDR4", RAM, "generation is text, so it takes = or 'in', not min/max"),
        ("generation=DDR9", RAM, "generation is one of DDR3, DDR4, DDR5; got 'DDR9'"),
        ("registered=maybe", RAM, "registered is true or false, not 'maybe'"),
        ("port_type in ,", NIC, "port_type in: give at least one value"),
        ("model=x", ComponentType.OTHER, "unknown attribute 'model' for type other"),
    ],
)
def test_parse_errors_say_what_is_wrong(text: str, kind: ComponentType, message: str) -> None:
    with pytest.raises(FilterError) as info:
        parse_filter(text, kind)
    assert message in str(info.value)


def test_validate_accepts_dicts_models_and_text() -> None:
    typed = validate_filters(
        [
            {"attribute": "capacity_gb", "op": "eq", "value": "32"},
            AttributeFilter(attribute="ecc", op=FilterOp.EQ, value=True),
            "speed_mhz>=2666",
        ],
        RAM,
    )
    assert [f.describe() for f in typed] == ["capacity_gb=32", "ecc=true", "speed_mhz>=2666"]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("capacity_gb>=32", "filters must be a list"),
        ([{"attribute": "capacity_gb", "op": "eq"}], "malformed filter"),
        ([{"attribute": "capacity_gb", "op": "gt", "value": 1}], "unknown filter operator 'gt'"),
        ([{"attribute": "capacity_gb", "op": "in", "value": []}], "give at least one value"),
        ([{"attribute": "capacity_gb", "op": "eq", "value": [1, 2]}], "expected one value"),
        ([42], "malformed filter 42"),
    ],
)
def test_validate_rejects_malformed(raw: object, message: str) -> None:
    with pytest.raises(FilterError, match=message):
        validate_filters(raw, RAM)


def test_describe_round_trips() -> None:
    for text in ["capacity_gb>=32", "generation=DDR4", "port_type in SFP+,SFP28"]:
        kind = NIC if text.startswith("port") else RAM
        assert parse_filter(parse_filter(text, kind).describe(), kind) == parse_filter(text, kind)
