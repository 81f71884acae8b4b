"""Type hints of the native module (checked against it by mypy's stubtest in CI)."""

import os
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import IO, Any, Literal, TypedDict, final

from typing_extensions import Unpack

__all__ = [
    "__version__",
    "VisionprepError",
    "ImageError",
    "UnsupportedFormatError",
    "CorruptImageError",
    "ImageTooLargeError",
    "ModelError",
    "RequestError",
    "Plan",
    "Probe",
    "CostRun",
    "plan",
    "models",
    "default_model",
    "probe",
    "estimate",
    "cost",
    "bench",
    "folder_budget",
    "Prepared",
    "Preparer",
    "PrepareMany",
    "prepare",
    "prepare_many",
    "prepare_tiles",
    "build_requests",
    "check_request",
    "BatchFiles",
    "BatchRequests",
    "write_batches",
    "batch_custom_id",
    "read_batch_results",
    "BATCH_MAP_NAME",
    "SETTINGS",
]

__version__: str
BATCH_MAP_NAME: str
# The parity table: (name, CLI flag, Python keyword, JavaScript option, note) of each setting.
SETTINGS: list[tuple[str, str | None, str, str | None, str]]

# A source: bytes, a path, a binary file object, or a PIL image.
_Source = bytes | bytearray | memoryview | str | os.PathLike[str] | IO[bytes] | Any
_Profile = Literal["portable", "api", "bedrock", "vertex", "claude-ai"]
_OutputFormat = Literal["auto", "jpeg", "png", "webp"]
_TokenRule = Literal["area750", "patch28"]
_Filter = Literal["lanczos3", "mitchell", "catmull-rom", "bilinear", "nearest"]
_Cache = Literal["write-5m", "write-1h", "read"]

class _PrepareOptions(TypedDict, total=False):
    """The preparation options every entry point takes, with the CLI's defaults: model (the
    data's default model), profile "portable", quality 85, output_format "auto", lenient
    False, token_rule "area750", filter "lanczos3", background (255, 255, 255) (or "white",
    "black", "#rrggbb", "r,g,b"), allow_retired False, token_budget None, tiles "never",
    min_scale 0.5, tile_overlap 64; and the model data and pricing settings: models (a
    list, as cost takes it), tier and price_per_mtok (a model the data does not know),
    prices (a TOML price file), prices_toml (its text), batch, cache ("write-5m",
    "write-1h", "read"), us_only, prompt_tokens. token_budget (tokens per image) and tiles
    other than "never" exclude each other; tiles are made by prepare_tiles() only."""

    model: str | None
    profile: _Profile | str
    quality: int
    output_format: _OutputFormat | str
    lenient: bool
    token_rule: _TokenRule | str
    filter: _Filter | str
    background: tuple[int, int, int] | str
    allow_retired: bool
    token_budget: int | None
    tiles: Literal["never", "auto", "always"] | str
    min_scale: float
    tile_overlap: int
    models: list[str]
    tier: Literal["standard", "high-resolution"] | str | None
    price_per_mtok: Decimal | str | int | float | None
    prices: str | os.PathLike[str] | None
    prices_toml: str | None
    batch: bool
    cache: _Cache | str | None
    us_only: bool
    prompt_tokens: int | None

class VisionprepError(Exception):
    code: str
    message: str
    path: str | None

class ImageError(VisionprepError): ...
class UnsupportedFormatError(ImageError): ...
class CorruptImageError(ImageError): ...
class ImageTooLargeError(ImageError): ...

class ModelError(VisionprepError):
    suggestions: list[str]

class RequestError(VisionprepError): ...

@final
class Plan:
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...
    @property
    def model(self) -> str: ...
    @property
    def tier(self) -> str: ...
    @property
    def resized(self) -> bool: ...
    @property
    def target_width(self) -> int: ...
    @property
    def target_height(self) -> int: ...
    @property
    def budget_width(self) -> int | None: ...
    @property
    def budget_height(self) -> int | None: ...
    @property
    def budget_tokens(self) -> int | None: ...
    @property
    def budget_usd(self) -> Decimal | None: ...
    @property
    def tokens(self) -> int: ...
    @property
    def usd(self) -> Decimal: ...

@final
class Probe:
    @property
    def format(self) -> str: ...
    @property
    def media_type(self) -> str: ...
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...
    @property
    def stored_width(self) -> int: ...
    @property
    def stored_height(self) -> int: ...
    @property
    def orientation(self) -> int: ...
    @property
    def animated(self) -> bool: ...
    @property
    def frames(self) -> int | None: ...
    @property
    def bytes(self) -> int: ...
    @property
    def accepted(self) -> bool: ...
    @property
    def truncated(self) -> bool: ...

@final
class Prepared:
    @property
    def data(self) -> bytes: ...
    @property
    def media_type(self) -> str: ...
    @property
    def input_format(self) -> str: ...
    @property
    def input_width(self) -> int: ...
    @property
    def input_height(self) -> int: ...
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...
    @property
    def tokens(self) -> int: ...
    @property
    def usd(self) -> Decimal: ...
    @property
    def model(self) -> str: ...
    @property
    def actions(self) -> list[str]: ...
    @property
    def quality_lowered_to(self) -> int | None: ...
    @property
    def truncated(self) -> bool: ...
    @property
    def path(self) -> str | None: ...
    @property
    def tile(self) -> dict[str, Any] | None: ...
    def to_original(self, x: float, y: float) -> tuple[float, float]: ...
    def to_content_block(self) -> dict[str, Any]: ...
    def save(self, path: str | os.PathLike[str]) -> None: ...
    def __len__(self) -> int: ...

@final
class Preparer:
    def __new__(cls, **options: Unpack[_PrepareOptions]) -> Preparer: ...
    @property
    def model(self) -> str: ...
    def prepare(self, src: _Source) -> Prepared: ...
    def prepare_tiles(self, src: _Source) -> list[Prepared]: ...

@final
class PrepareMany:
    def __iter__(self) -> Iterator[Prepared | VisionprepError]: ...
    def __next__(self) -> Prepared | VisionprepError: ...

@final
class CostRun:
    def __iter__(self) -> Iterator[dict[str, Any]]: ...
    def __next__(self) -> dict[str, Any]: ...
    @property
    def totals(self) -> dict[str, Any] | None: ...

@final
class BatchRequests:
    def __new__(
        cls,
        *,
        prompt: str,
        custom_id: str = "{stem}-{hash}",
        max_tokens: int = 1024,
        system: str | None = None,
        **options: Unpack[_PrepareOptions],
    ) -> BatchRequests: ...
    def request(self, src: _Source, path: str | None = None) -> dict[str, Any]: ...

@final
class BatchFiles:
    def __new__(
        cls,
        out: str | os.PathLike[str],
        *,
        max_requests: int | None = None,
        max_bytes: int | None = None,
    ) -> BatchFiles: ...
    def add(
        self,
        custom_id: str,
        params: dict[str, Any] | str,
        *,
        paths: list[str] = ...,
        model: str = "",
        image_tokens: int = 0,
        usd: str = "0",
    ) -> None: ...
    def failed(self, message: str, code: str | None = None) -> None: ...
    def close(self) -> dict[str, Any]: ...
    def __enter__(self) -> BatchFiles: ...
    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: object | None,
    ) -> bool: ...

class _PlanOptions(TypedDict, total=False):
    """The settings of plan(), those of `visionprep plan`, with its defaults."""

    model: str | None
    models: list[str]
    allow_retired: bool
    tier: Literal["standard", "high-resolution"] | str | None
    price_per_mtok: Decimal | str | int | float | None
    prices: str | os.PathLike[str] | None
    token_rule: _TokenRule | str
    token_budget: int | None
    tiles: Literal["never", "auto", "always"] | str
    min_scale: float
    tile_overlap: int
    batch: bool
    cache: _Cache | str | None
    us_only: bool
    prompt_tokens: int | None

def plan(width: int, height: int, **options: Unpack[_PlanOptions]) -> Plan: ...
def models() -> dict[str, Any]: ...
def default_model() -> str: ...
def probe(src: _Source, *, lenient: bool = False) -> Probe: ...
class _CostOptions(_PlanOptions, total=False):
    """The settings of estimate() and cost(), those of `visionprep cost`: plan()'s, the
    profile ("portable") and lenient reading (False)."""

    profile: _Profile | str
    lenient: bool

def estimate(
    src: _Source,
    *,
    name: str = "<bytes>",
    walked: bool = False,
    **options: Unpack[_CostOptions],
) -> dict[str, Any] | None: ...
def cost(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    hidden: bool = False,
    threads: int | None = None,
    **options: Unpack[_CostOptions],
) -> CostRun: ...
def folder_budget(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    usd: Decimal | str | int | float | None = None,
    tokens: int | None = None,
    models: list[str] = ...,
    token_rule: _TokenRule | str = "area750",
    batch: bool = False,
    lenient: bool = False,
    hidden: bool = False,
    threads: int | None = None,
    prices: str | os.PathLike[str] | None = None,
    cache: _Cache | str | None = None,
    us_only: bool = False,
    prompt_tokens: int | None = None,
    allow_retired: bool = False,
    model: str | None = None,
    tier: Literal["standard", "high-resolution"] | str | None = None,
    price_per_mtok: Decimal | str | int | float | None = None,
) -> dict[str, Any]: ...
def bench(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None = None,
    *,
    threads: list[int] | None = None,
    repeat: int = 3,
    compare: bool = False,
    python: str | os.PathLike[str] | None = None,
    sizes: list[float] = ...,
    max_input_mb: int = 2048,
    **options: Unpack[_PrepareOptions],
) -> dict[str, Any]: ...
def prepare(src: _Source, **options: Unpack[_PrepareOptions]) -> Prepared: ...
def prepare_tiles(src: _Source, **options: Unpack[_PrepareOptions]) -> list[Prepared]: ...
def prepare_many(
    srcs: Iterable[_Source], *, threads: int | None = None, **options: Unpack[_PrepareOptions]
) -> PrepareMany: ...
def build_requests(
    images: Iterable[Prepared | _Source | dict[str, str]],
    *,
    prompt: str,
    max_tokens: int = 1024,
    system: str | None = None,
    **options: Unpack[_PrepareOptions],
) -> list[dict[str, Any]]: ...
def check_request(
    body: dict[str, Any] | str | bytes,
    *,
    profile: _Profile | str = "portable",
    model: str | None = None,
) -> dict[str, Any]: ...
def write_batches(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    prompt: str,
    per_request: int = 1,
    custom_id: str = "{stem}-{hash}",
    max_tokens: int = 1024,
    system: str | None = None,
    threads: int | None = None,
    hidden: bool = False,
    force: bool = False,
    **options: Unpack[_PrepareOptions],
) -> dict[str, Any]: ...
def batch_custom_id(paths: list[str], *, template: str = "{stem}-{hash}", number: int = 1) -> str: ...
def read_batch_results(
    results: str | os.PathLike[str], map: str | os.PathLike[str]
) -> dict[str, Any]: ...
