"""Normalisation after any backend, and product keys per DOMAIN.md."""

from __future__ import annotations

from typing import Any

import pytest

from core.extract.normalise import key_for, normalise
from core.extract.product_keys import product_key
from core.extract.schemas import Extraction, LlmAnswer, llm_json_schema
from core.models import ComponentType as C


def norm(kind: C, **attributes: Any) -> dict[str, Any]:
    return normalise(
        Extraction(component_type=kind, attributes=attributes, confidence=0.5)
    ).attributes


def test_placeholders_are_removed() -> None:
    assert norm(C.RAM, generation="N/A", capacity_gb="unknown", speed_mhz="-", ecc=None) == {}
    assert norm(C.SERVER, manufacturer="Dell", model="  ", tier="Not Specified") == {
        "manufacturer": "dell"
    }


def test_units_are_fixed() -> None:
    assert norm(C.RAM, capacity_gb="32 GB", speed_mhz="2666MHz") == {
        "capacity_gb": 32,
        "speed_mhz": 2666,
    }
    assert norm(C.DRIVE, capacity_gb="1.92TB", rpm="7.2K", media="hdd") == {
        "capacity_gb": 1920,
        "rpm": 7200,
        "media": "HDD",
    }
    assert norm(C.GPU, vram_gb="24GB") == {"vram_gb": 24}
    assert norm(C.NIC, port_count="2 ports") == {"port_count": 2}


def test_canonical_forms() -> None:
    assert norm(C.NIC, speed="25gbe", port_type="sfp28") == {"speed": "25GbE", "port_type": "SFP28"}
    assert norm(C.DRIVE, interface="nvme", form_factor="m.2") == {
        "interface": "NVMe",
        "form_factor": "M.2",
    }
    server = norm(C.SERVER, manufacturer="Hewlett Packard Enterprise", model="DL380 Gen10",
                  form_factor="2u")  # fmt: skip
    assert server == {"manufacturer": "hpe", "model": "dl380gen10", "form_factor": "2U"}
    assert norm(C.CPU, manufacturer="Intel", family="XEON", model="E5-2680 v4") == {
        "manufacturer": "intel",
        "family": "xeon",
        "model": "e5-2680v4",
    }


@pytest.mark.parametrize(
    ("kind", "attributes"),
    [
        (C.RAM, {"generation": "DDR9"}),
        (C.RAM, {"capacity_gb": -4}),
        (C.DRIVE, {"form_factor": "5.25"}),
        (C.NIC, {"speed": "7GbE"}),
        (C.GPU, {"vram_gb": "lots"}),
        (C.RAM, {"model": "not a ram field"}),
        (C.OTHER, {"capacity_gb": 32}),
    ],
)
def test_invalid_or_foreign_values_are_dropped(kind: C, attributes: dict[str, Any]) -> None:
    assert norm(kind, **attributes) == {}


def test_ssd_has_no_rpm() -> None:
    assert norm(C.DRIVE, media="SSD", rpm=10000) == {"media": "SSD"}


@pytest.mark.parametrize(
    ("kind", "attributes", "key"),
    [
        (C.RAM, {"generation": "DDR4", "capacity_gb": 16, "speed_mhz": 2666, "ecc": True,
                 "registered": True, "module": "RDIMM"}, "ram:ddr4:rdimm:ecc_reg:16gb:2666"),
        (C.RAM, {"generation": "DDR4", "capacity_gb": 64, "speed_mhz": 2666, "ecc": True,
                 "registered": True, "module": "LRDIMM"}, "ram:ddr4:lrdimm:ecc_reg:64gb:2666"),
        (C.RAM, {"generation": "DDR4", "capacity_gb": 16, "speed_mhz": 2400, "ecc": True,
                 "registered": False, "module": "UDIMM"}, "ram:ddr4:udimm:ecc_unbuf:16gb:2400"),
        (C.RAM, {"generation": "DDR4", "capacity_gb": 16, "speed_mhz": 3200, "ecc": False,
                 "registered": False, "module": "SODIMM"}, "ram:ddr4:sodimm:non_ecc:16gb:3200"),
        (C.RAM, {"generation": "DDR4", "capacity_gb": 16, "speed_mhz": 2666, "ecc": True,
                 "registered": True}, "ram:ddr4:unknown:ecc_reg:16gb:2666"),
        (C.RAM, {"generation": "DDR5", "capacity_gb": 32, "ecc": False},
         "ram:ddr5:unknown:non_ecc:32gb:unknown"),
        (C.RAM, {"generation": "DDR3"}, "ram:ddr3:unknown:unknown:unknown:unknown"),
        (C.RAM, {"generation": "DDR4", "module": "RDIMM"},
         "ram:ddr4:rdimm:ecc_reg:unknown:unknown"),
        (C.DRIVE, {"interface": "SAS", "form_factor": "2.5", "capacity_gb": 1200, "media": "HDD",
                   "rpm": 10000}, "drive:sas:2.5:1200gb:hdd10k"),
        (C.DRIVE, {"interface": "SATA", "form_factor": "3.5", "capacity_gb": 18000, "media": "HDD",
                   "rpm": 7200}, "drive:sata:3.5:18000gb:hdd7k2"),
        (C.DRIVE, {"interface": "NVMe", "form_factor": "2.5", "capacity_gb": 3840, "media": "SSD"},
         "drive:nvme:2.5:3840gb:ssd"),
        (C.DRIVE, {"interface": "SAS", "media": "HDD"}, "drive:sas:unknown:unknown:hdd"),
        (C.DRIVE, {"interface": "NVMe", "form_factor": "2.5", "capacity_gb": 375, "media": "SSD",
                   "technology": "3D XPoint"}, "drive:nvme:2.5:375gb:xpoint"),
        (C.SERVER, {"manufacturer": "dell", "model": "r740xd", "tier": "configured"},
         "server:dell:r740xd:configured"),
        (C.CPU, {"manufacturer": "amd", "model": "7302p"}, "cpu:amd:7302p"),
        (C.NIC, {"speed": "25GbE", "port_count": 2, "port_type": "SFP28"}, "nic:25gbe:2p:sfp28"),
        (C.GPU, {"manufacturer": "nvidia", "model": "p40", "vram_gb": 24}, "gpu:nvidia:p40:24gb"),
        (C.WORKSTATION, {"manufacturer": "dell", "model": "t7920"}, "workstation:dell:t7920"),
        (C.DESKTOP, {"manufacturer": "lenovo"}, "desktop:lenovo:unknown"),
        (C.OTHER, {}, None),
    ],
)  # fmt: skip
def test_product_keys(kind: C, attributes: dict[str, Any], key: str | None) -> None:
    assert product_key(kind, attributes) == key
    assert key_for(Extraction(component_type=kind, attributes=attributes, confidence=1)) == key


def test_llm_schema_covers_every_graded_field() -> None:
    schema = llm_json_schema()
    assert {"component_type", "condition", "quantity", "confidence"} <= set(
        schema["required"]
    ) | set(schema["properties"])
    answer = LlmAnswer.model_validate(
        {"component_type": "nic", "confidence": 0.9, "speed": "10GbE", "port_count": 2,
         "port_type": "SFP+", "capacity_gb": 32}
    )  # fmt: skip
    assert answer.to_extraction().attributes == {
        "speed": "10GbE",
        "port_count": 2,
        "port_type": "SFP+",
    }


@pytest.mark.parametrize(
    ("spelling", "module"),
    [("rdimm", "RDIMM"), ("R-DIMM", "RDIMM"), ("Registered", "RDIMM"), ("3DS RDIMM", "RDIMM"),
     ("lrdimm", "LRDIMM"), ("LR-DIMM", "LRDIMM"), ("Load Reduced", "LRDIMM"),
     ("udimm", "UDIMM"), ("Unbuffered", "UDIMM"), ("so-dimm", "SODIMM"), ("SO DIMM", "SODIMM"),
     ("Laptop", "SODIMM")],
)  # fmt: skip
def test_module_spellings_are_canonical(spelling: str, module: str) -> None:
    assert norm(C.RAM, module=spelling)["module"] == module


def test_unknown_module_kinds_are_dropped() -> None:
    assert norm(C.RAM, module="DIMM") == {}
    assert norm(C.RAM, module="FB-DIMM") == {}


def test_a_module_kind_implies_registered_and_ecc() -> None:
    assert norm(C.RAM, module="LRDIMM") == {"module": "LRDIMM", "registered": True, "ecc": True}
    assert norm(C.RAM, module="SODIMM", ecc=False) == {
        "module": "SODIMM",
        "registered": False,
        "ecc": False,
    }
    assert norm(C.RAM, module="UDIMM", ecc=True) == {
        "module": "UDIMM",
        "registered": False,
        "ecc": True,
    }


def test_a_module_kind_that_contradicts_the_flags_is_dropped() -> None:
    assert norm(C.RAM, module="RDIMM", registered=False) == {"registered": False}
    assert norm(C.RAM, module="RDIMM", ecc=False) == {"ecc": False}
    assert norm(C.RAM, module="SODIMM", registered=True) == {"registered": True}


@pytest.mark.parametrize("spelling", ["3D XPoint", "3d xpoint", "3DXPoint", "Optane", "XPoint"])
def test_optane_spellings_are_canonical(spelling: str) -> None:
    assert norm(C.DRIVE, technology=spelling, capacity_gb=375) == {
        "technology": "3D XPoint",
        "capacity_gb": 375,
        "media": "SSD",
    }


def test_xpoint_on_a_hard_drive_is_dropped() -> None:
    assert norm(C.DRIVE, technology="3D XPoint", media="HDD") == {"media": "HDD"}
    assert norm(C.DRIVE, technology="NAND", media="SSD") == {"media": "SSD"}


def test_llm_answers_carry_the_module_and_technology_into_the_key() -> None:
    schema = llm_json_schema()["properties"]
    assert {"module", "technology"} <= set(schema)
    ram = LlmAnswer.model_validate(
        {"component_type": "ram", "confidence": 0.9, "generation": "DDR4", "capacity_gb": 64,
         "speed_mhz": 2666, "module": "LRDIMM", "technology": "3D XPoint"}
    ).to_extraction()  # fmt: skip
    assert ram.attributes == {"generation": "DDR4", "capacity_gb": 64, "speed_mhz": 2666,
                              "module": "LRDIMM"}  # fmt: skip
    assert key_for(normalise(ram)) == "ram:ddr4:lrdimm:ecc_reg:64gb:2666"
    drive = LlmAnswer.model_validate(
        {"component_type": "drive", "confidence": 0.9, "interface": "NVMe", "form_factor": "2.5",
         "capacity_gb": 375, "media": "SSD", "technology": "3D XPoint", "module": "RDIMM"}
    ).to_extraction()  # fmt: skip
    assert "module" not in drive.attributes
    assert key_for(normalise(drive)) == "drive:nvme:2.5:375gb:xpoint"
