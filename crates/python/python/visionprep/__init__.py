"""visionprep: make images Claude-ready, and know what they cost before sending them.

A thin binding over the Rust library the ``visionprep`` CLI is built on: the same arguments
give the same bytes, tokens and dollars as the CLI.

    import anthropic, visionprep
    image = visionprep.prepare("photo.jpg")        # resized, upright, under the byte cap
    print(image.tokens, image.usd)                 # exact estimate (Decimal)
    anthropic.Anthropic().messages.create(
        model=image.model, max_tokens=1024,
        messages=[{"role": "user", "content": [image.to_content_block(),
                                               {"type": "text", "text": "What is this?"}]}])

Every function releases the GIL while it works. Sources (``src``) are ``bytes``, a path
(``str`` or ``os.PathLike``), a binary file object, or a PIL image (saved losslessly to PNG
first, with its EXIF so that its orientation is applied).
"""

from ._visionprep import (
    BATCH_MAP_NAME,
    SETTINGS,
    BatchFiles,
    BatchRequests,
    CorruptImageError,
    CostRun,
    ImageError,
    ImageTooLargeError,
    ModelError,
    Plan,
    PrepareMany,
    Prepared,
    Preparer,
    Probe,
    RequestError,
    UnsupportedFormatError,
    VisionprepError,
    __version__,
    batch_custom_id,
    build_requests,
    check_request,
    cost,
    bench,
    folder_budget,
    default_model,
    estimate,
    models,
    plan,
    prepare,
    prepare_many,
    prepare_tiles,
    probe,
    read_batch_results,
    write_batches,
)

__all__ = [
    "BATCH_MAP_NAME",
    "SETTINGS",
    "BatchFiles",
    "BatchRequests",
    "CorruptImageError",
    "CostRun",
    "ImageError",
    "ImageTooLargeError",
    "ModelError",
    "Plan",
    "PrepareMany",
    "Prepared",
    "Preparer",
    "Probe",
    "RequestError",
    "UnsupportedFormatError",
    "VisionprepError",
    "__version__",
    "batch_custom_id",
    "build_requests",
    "check_request",
    "cost",
    "bench",
    "folder_budget",
    "default_model",
    "estimate",
    "models",
    "plan",
    "prepare",
    "prepare_many",
    "prepare_tiles",
    "probe",
    "read_batch_results",
    "write_batches",
]
