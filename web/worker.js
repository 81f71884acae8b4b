// The page's worker: prepares images with the WebAssembly pipeline off the page's thread, so
// the page stays responsive; the page cancels by terminating it. One message in:
// {files: [{name, file}], options}; one message out per image, in order:
// {index, result} (the output bytes transferred, not copied) or {index, error}; then {done}.
// After {index, error, crashed: true} it stops, and the page goes on in a new worker.
//
// The handler is set before anything is awaited: the module loads the WebAssembly when the
// first message comes (a message that arrived during a top-level await would be lost).
self.onmessage = async ({ data: { files, options } }) => {
  let preparer;
  try {
    const { Preparer } = await import("./pkg/index.js");
    preparer = new Preparer(options);
  } catch (e) {
    self.postMessage({ fatal: { code: e.code ?? "internal", message: String(e.message ?? e) } });
    return;
  }
  for (let index = 0; index < files.length; index++) {
    const { name, file } = files[index];
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const result = preparer.prepare(bytes, name);
      self.postMessage({ index, result }, [result.data.buffer]);
    } catch (e) {
      // A refusal has the CLI's code; anything else is the module failing inside (a trap),
      // after which this instance cannot be trusted: the page starts a new worker.
      const refused = e?.name === "VisionprepError";
      self.postMessage({
        index,
        error: { code: refused ? e.code : "internal", message: String(e?.reason ?? e?.message ?? e) },
        crashed: !refused,
      });
      if (!refused) return;
    }
  }
  preparer.free();
  self.postMessage({ done: true });
};
