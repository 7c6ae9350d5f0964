"""Attribute schemas per component type (DOMAIN.md), the extraction result, and the LLM schema.

The per-type models are the contract; `LlmAnswer` flattens them into one object (every
attribute optional) because a flat schema is what every structured-output engine
(Ollama's grammar, Anthropic tool input, OpenAI json_schema) handles reliably. Its JSON
Schema is generated from these models, never written by hand.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.models import ComponentType, Condition

Generation = Literal["DDR3", "DDR4", "DDR5"]
Interface = Literal["SAS", "SATA", "NVMe"]
DriveFormFactor = Literal["2.5", "3.5", "M.2"]
Media = Literal["SSD", "HDD"]
# The module kinds memory is sold as: different markets, so part of a RAM product key.
# 3DS (stacked-die) modules are RDIMMs or LRDIMMs and fold into those (README, "Product keys").
Module = Literal["RDIMM", "LRDIMM", "UDIMM", "SODIMM"]
# Storage technology where it makes a drive a different market from NAND flash drives of the
# same interface, size and capacity: Optane (3D XPoint) costs about ten times as much per GB.
Technology = Literal["3D XPoint"]
ServerFormFactor = Literal["1U", "2U", "3U", "4U", "tower"]
Tier = Literal["barebone", "partial", "configured"]
CpuMaker = Literal["intel", "amd"]
CpuFamily = Literal["xeon", "epyc", "core", "ryzen", "threadripper"]
NicSpeed = Literal["1GbE", "10GbE", "25GbE", "40GbE", "100GbE", "200GbE"]
PortType = Literal["SFP+", "SFP28", "QSFP+", "QSFP28", "QSFP56", "RJ45"]
GpuMaker = Literal["nvidia", "amd", "intel"]


class Attributes(BaseModel):
    """Base of the per-type models: every field optional (absent when the title is silent)."""

    model_config = ConfigDict(extra="forbid")


class RamAttributes(Attributes):
    generation: Generation | None = None
    capacity_gb: int | None = Field(None, ge=1, le=1024, description="per module")
    speed_mhz: int | None = Field(None, ge=800, le=10000, description="MT/s")
    ecc: bool | None = None
    registered: bool | None = Field(None, description="RDIMM or LRDIMM")
    module: Module | None = None
    rank: str | None = Field(None, max_length=8, description="e.g. 2Rx4")
    part_number: str | None = Field(None, max_length=40)


class DriveAttributes(Attributes):
    interface: Interface | None = None
    form_factor: DriveFormFactor | None = None
    capacity_gb: int | None = Field(None, ge=1, le=200000, description="decimal GB as sold")
    media: Media | None = None
    rpm: int | None = Field(None, ge=3600, le=20000, description="HDDs only")
    technology: Technology | None = Field(None, description="Optane drives only")
    part_number: str | None = Field(None, max_length=40)


class ServerAttributes(Attributes):
    manufacturer: str | None = Field(None, max_length=30)
    model: str | None = Field(None, max_length=40)
    form_factor: ServerFormFactor | None = None
    tier: Tier | None = None
    cpu_count: int | None = Field(None, ge=1, le=8)
    memory_gb: int | None = Field(None, ge=1, le=65536)
    bays: int | None = Field(None, ge=1, le=100)


class CpuAttributes(Attributes):
    manufacturer: CpuMaker | None = None
    family: CpuFamily | None = None
    model: str | None = Field(None, max_length=30)
    cores: int | None = Field(None, ge=1, le=512)
    base_ghz: float | None = Field(None, gt=0, le=10)
    socket: str | None = Field(None, max_length=20)


class NicAttributes(Attributes):
    speed: NicSpeed | None = None
    port_count: int | None = Field(None, ge=1, le=16)
    port_type: PortType | None = None
    manufacturer: str | None = Field(None, max_length=30)
    model: str | None = Field(None, max_length=40)


class GpuAttributes(Attributes):
    manufacturer: GpuMaker | None = None
    model: str | None = Field(None, max_length=30)
    vram_gb: int | None = Field(None, ge=1, le=1024)


class WorkstationAttributes(Attributes):
    manufacturer: str | None = Field(None, max_length=30)
    model: str | None = Field(None, max_length=40)


class DesktopAttributes(Attributes):
    manufacturer: str | None = Field(None, max_length=30)
    model: str | None = Field(None, max_length=40)


class OtherAttributes(Attributes):
    """`other` has no graded attributes."""


ATTRIBUTE_MODELS: dict[ComponentType, type[Attributes]] = {
    ComponentType.RAM: RamAttributes,
    ComponentType.DRIVE: DriveAttributes,
    ComponentType.SERVER: ServerAttributes,
    ComponentType.CPU: CpuAttributes,
    ComponentType.NIC: NicAttributes,
    ComponentType.GPU: GpuAttributes,
    ComponentType.WORKSTATION: WorkstationAttributes,
    ComponentType.DESKTOP: DesktopAttributes,
    ComponentType.OTHER: OtherAttributes,
}

# The fields DOMAIN.md grades and product keys use, per type; spt adds the RAM module kind
# and the drive technology, which its product keys split markets on (README, "Product keys").
CANONICAL_FIELDS: dict[ComponentType, tuple[str, ...]] = {
    ComponentType.RAM: ("generation", "capacity_gb", "speed_mhz", "ecc", "registered", "module"),
    ComponentType.DRIVE: ("interface", "form_factor", "capacity_gb", "media", "rpm", "technology"),
    ComponentType.SERVER: ("manufacturer", "model", "form_factor", "tier"),
    ComponentType.CPU: ("manufacturer", "family", "model", "cores"),
    ComponentType.NIC: ("speed", "port_count", "port_type"),
    ComponentType.GPU: ("manufacturer", "model", "vram_gb"),
    ComponentType.WORKSTATION: ("manufacturer", "model"),
    ComponentType.DESKTOP: ("manufacturer", "model"),
    ComponentType.OTHER: (),
}


class Extraction(BaseModel):
    """What a backend read from a title: type, attributes (canonical names), condition,
    quantity and how sure it is. Attributes hold only what the title states."""

    model_config = ConfigDict(frozen=True)

    component_type: ComponentType
    attributes: dict[str, Any] = Field(default_factory=dict)
    condition: Condition = Condition.UNKNOWN
    quantity: int = Field(1, ge=1, le=10000)
    confidence: float = Field(ge=0, le=1)


class LlmAnswer(BaseModel):
    """The one object an LLM returns per title. Attribute fields not of the type stay null."""

    model_config = ConfigDict(extra="forbid")

    component_type: ComponentType
    condition: Condition = Condition.UNKNOWN
    quantity: int = Field(1, ge=1, le=10000, description="identical units sold together")
    confidence: float = Field(ge=0, le=1)
    # Attribute fields (flattened); see ATTRIBUTE_MODELS for which belong to which type.
    generation: Generation | None = None
    capacity_gb: int | None = Field(None, ge=1, le=200000)
    speed_mhz: int | None = Field(None, ge=800, le=10000)
    ecc: bool | None = None
    registered: bool | None = None
    module: Module | None = None
    interface: Interface | None = None
    form_factor: DriveFormFactor | ServerFormFactor | None = None
    media: Media | None = None
    rpm: int | None = Field(None, ge=3600, le=20000)
    technology: Technology | None = None
    manufacturer: str | None = Field(None, max_length=30)
    model: str | None = Field(None, max_length=40)
    tier: Tier | None = None
    family: CpuFamily | None = None
    cores: int | None = Field(None, ge=1, le=512)
    speed: NicSpeed | None = None
    port_count: int | None = Field(None, ge=1, le=16)
    port_type: PortType | None = None
    vram_gb: int | None = Field(None, ge=1, le=1024)

    def to_extraction(self) -> Extraction:
        """Keep only the attributes that belong to the answer's type."""
        wanted = CANONICAL_FIELDS[self.component_type]
        attributes = {k: getattr(self, k) for k in wanted if getattr(self, k) is not None}
        return Extraction(
            component_type=self.component_type,
            attributes=attributes,
            condition=self.condition,
            quantity=self.quantity,
            confidence=self.confidence,
        )


def llm_json_schema() -> dict[str, Any]:
    """JSON Schema of `LlmAnswer` for structured output (Ollama format, tool input, etc.)."""
    return LlmAnswer.model_json_schema()
