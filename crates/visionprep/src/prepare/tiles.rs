//! Images cut into tiles: decoded once, each tile cropped and resized from the same pixels.

use super::cap::{choose_codec, encode_finish};
use super::pixels::Pixels;
use super::{
    Actions, PrepareError, PrepareOptions, Prepared, Preparer, color, decode, probe_of, resize,
};
use crate::probe::{Probe, probe_bytes};
use visionprep_core::{CoordMap, Rect, Size, Tile, TileMode, TilePlan, plan_tiles};

/// Where a prepared image sits in the input it was cut from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TilePart {
    /// Its place, from 0, row by row.
    pub index: u32,
    /// How many tiles the input was cut into.
    pub count: u32,
    /// Columns of the grid.
    pub columns: u32,
    /// Rows of the grid.
    pub rows: u32,
    /// The part of the input (as displayed) it shows.
    pub region: Rect,
    /// Maps a point the model names in this tile to the input.
    pub map: CoordMap,
}

/// A tile as reports and bindings show it: `index`, `count`, `columns`, `rows`, its region
/// (`x`, `y`, `width`, `height`, in the input's pixels as displayed) and the `label` that
/// introduces it as the first image of a request.
impl serde::Serialize for TilePart {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut t = s.serialize_struct("TilePart", 9)?;
        t.serialize_field("index", &self.index)?;
        t.serialize_field("count", &self.count)?;
        t.serialize_field("columns", &self.columns)?;
        t.serialize_field("rows", &self.rows)?;
        t.serialize_field("x", &self.region.x)?;
        t.serialize_field("y", &self.region.y)?;
        t.serialize_field("width", &self.region.width)?;
        t.serialize_field("height", &self.region.height)?;
        t.serialize_field("label", &self.label(1))?;
        t.end()
    }
}

impl TilePart {
    /// The label that introduces the tile in a request: `Image 3, part 2 of 6: rows 1092-2184`
    /// (and `, columns 0-1170` when the grid has several columns). Rows and columns are the
    /// input's pixel coordinates, from the tile's top (left) edge to its bottom (right) edge.
    ///
    /// ```
    /// use visionprep::core::{CoordMap, Rect, Size};
    /// use visionprep::prepare::TilePart;
    /// let region = Rect { x: 0, y: 1092, width: 1170, height: 1092 };
    /// let part = TilePart { index: 1, count: 6, columns: 1, rows: 6, region,
    ///     map: CoordMap { original: Size::new(1170, 6552), region, resized: Size::new(1170, 1092) } };
    /// assert_eq!(part.label(3), "Image 3, part 2 of 6: rows 1092-2184");
    /// ```
    pub fn label(&self, image: usize) -> String {
        format!(
            "Image {image}, part {} of {}: {}",
            self.index + 1,
            self.count,
            self.region_text()
        )
    }

    /// What of the input the tile shows, as its label says it: `rows 1092-2184`, and
    /// `, columns 0-1170` when the grid has several columns.
    pub fn region_text(&self) -> String {
        let r = &self.region;
        let mut text = format!("rows {}-{}", r.y, r.bottom());
        if self.columns > 1 {
            text.push_str(&format!(", columns {}-{}", r.x, r.right()));
        }
        text
    }

    fn of(tile: &Tile, plan: &TilePlan) -> TilePart {
        TilePart {
            index: tile.index,
            count: plan.tiles.len() as u32,
            columns: plan.columns,
            rows: plan.rows,
            region: tile.region,
            map: tile.coord_map(plan.original),
        }
    }
}

impl Preparer {
    /// Prepares one image held in memory as one image or, by [`PrepareOptions::tiles`], as
    /// several tiles, in order (row by row), each with its [`Prepared::tile`]. See
    /// [`Preparer::prepare_probed_parts`].
    pub fn prepare_parts(
        &mut self,
        bytes: &[u8],
        options: &PrepareOptions,
    ) -> Result<Vec<Prepared>, PrepareError> {
        let probe = probe_bytes(bytes, &options.limits)?;
        self.prepare_probed_parts(bytes, &probe, options)
    }

    /// Prepares the file at `path` whose header was probed, as [`Preparer::prepare_parts`].
    pub fn prepare_file_parts(
        &mut self,
        path: impl AsRef<std::path::Path>,
        probe: &Probe,
        options: &PrepareOptions,
    ) -> Result<Vec<Prepared>, PrepareError> {
        if options.tiles.mode == TileMode::Never {
            return Ok(vec![self.prepare_file(path, probe, options)?]);
        }
        super::check_file_size(probe, options)?;
        let bytes = std::fs::read(path.as_ref()).map_err(PrepareError::Io)?;
        self.prepare_probed_parts(&bytes, probe, options)
    }

    /// Prepares `bytes` (whose header `probe` describes) as one image, or as tiles when
    /// [`PrepareOptions::tiles`] asks for them and the image needs them: the API would shrink
    /// it by more than the minimum scale and, in [`TileMode::Auto`], its content is drawn
    /// (screenshots, scans, charts; photographs are sent whole). The image is decoded once,
    /// at the resolution the tiles need; each tile is cropped and resized from those pixels.
    pub fn prepare_probed_parts(
        &mut self,
        bytes: &[u8],
        probe: &Probe,
        options: &PrepareOptions,
    ) -> Result<Vec<Prepared>, PrepareError> {
        let tiling = options.tiles;
        if tiling.mode == TileMode::Never {
            return Ok(vec![self.prepare_probed(bytes, probe, options)?]);
        }
        let mut fresh = None;
        let probe = probe_of(bytes, probe, options, &mut fresh)?;
        let displayed = probe.displayed();
        let tier = options.target.tier();
        let plan = plan_tiles(
            displayed,
            tier,
            options.token_rule,
            tiling.min_scale,
            tiling.overlap,
        )?;
        if !plan.is_tiled() {
            return Ok(vec![self.prepare_probed(bytes, probe, options)?]);
        }
        // Every tile has the same region size and output size: decode at the input's size
        // scaled as the tiles are (never below what any tile needs).
        let first = plan.tiles[0];
        let need = Size::new(
            scaled_up(displayed.width, first.output.width, first.region.width),
            scaled_up(displayed.height, first.output.height, first.region.height),
        );
        let stored_need = if probe.orientation.swaps_dimensions() {
            need.transposed()
        } else {
            need
        };
        let decoded = decode::decode(bytes, probe, stored_need, options.filter, &options.limits)?;
        decode::check_decoded(&decoded, probe)?;
        let orientation = decoded.orientation;
        let icc = decoded.icc;
        let cicp = decoded.cicp;
        let pre_converted = decoded.color_converted;
        let pixels = decoded.pixels.oriented(orientation);
        let codec = choose_codec(probe, &pixels, options.output);
        let base = Actions {
            oriented: !probe.orientation.is_identity(),
            reencoded: true,
            metadata_stripped: probe.metadata.any(),
            ..Actions::default()
        };
        let colour = |p: &mut Pixels| color::convert(p, icc.as_deref(), cicp, pre_converted);
        if tiling.mode == TileMode::Auto && pixels.looks_photographic() {
            // A photograph is sent whole, at the size it would have without tiling.
            let target = options.output_size(displayed);
            let mut out = if Size::new(pixels.width, pixels.height) == target {
                pixels
            } else {
                resize::resize(
                    &mut self.resizer,
                    pixels,
                    target.width,
                    target.height,
                    options.filter,
                )?
            };
            let mut actions = Actions {
                resized: target != displayed,
                ..base
            };
            actions.color_converted = colour(&mut out);
            return Ok(vec![encode_finish(
                &out, codec, probe, target, actions, options,
            )?]);
        }
        let (sx, sy) = (
            f64::from(pixels.width) / f64::from(displayed.width),
            f64::from(pixels.height) / f64::from(displayed.height),
        );
        let mut parts: Vec<Prepared> = Vec::new();
        for tile in &plan.tiles {
            let r = tile.region;
            let crop = (
                f64::from(r.x) * sx,
                f64::from(r.y) * sy,
                f64::from(r.width) * sx,
                f64::from(r.height) * sy,
            );
            let mut out = resize::resize_region(
                &mut self.resizer,
                &pixels,
                crop,
                tile.output.width,
                tile.output.height,
                options.filter,
            )?;
            let mut actions = Actions {
                resized: tile.output != r.size(),
                tiled: true,
                ..base
            };
            actions.color_converted = colour(&mut out);
            let mut prepared = encode_finish(&out, codec, probe, tile.output, actions, options)?;
            prepared.tile = Some(TilePart::of(tile, &plan));
            parts.push(prepared);
        }
        Ok(parts)
    }
}

/// `ceil(full * out / region)`, at most `full`: the edge the whole image needs for a region of
/// `region` pixels to be shown at `out`.
fn scaled_up(full: u32, out: u32, region: u32) -> u32 {
    if region == 0 {
        return full;
    }
    let v = (u64::from(full) * u64::from(out)).div_ceil(u64::from(region));
    v.min(u64::from(full)) as u32
}
