//! The practical floor for a folder cost report: read each file's header with the `imagesize`
//! crate in a bare loop (no orientation, no animation, no report). `benches/compare/cost.sh`
//! times `visionprep cost` against it.
//!
//! Usage: `imagesize-loop FILE...` (or file names on stdin, one per line); prints the count of
//! files whose size was read.

#![forbid(unsafe_code)]

use std::io::BufRead;

fn main() {
    let mut paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        paths = std::io::stdin()
            .lock()
            .lines()
            .map_while(Result::ok)
            .collect();
    }
    let read = paths.iter().filter(|p| imagesize::size(p).is_ok()).count();
    println!("{read} of {} files read", paths.len());
}
