//! Exact money: integer attodollars (10^-18 USD), never sums of floating point.
//!
//! A price of `$p` per million tokens is `p * 10^12` attodollars per token, so any price given
//! with up to six decimals, multiplied by a whole token count, is exact; one modifier given in
//! parts per million keeps it exact, and further ones round half-to-even at 10^-18 USD.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign};
use std::str::FromStr;

const ATTO_PER_USD: u128 = 1_000_000_000_000_000_000;
const ATTO_PER_MICRO_USD: u128 = 1_000_000_000_000;

/// An amount of US dollars, exact to 10^-18.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Usd(u128);

impl Usd {
    /// Zero dollars.
    pub const ZERO: Usd = Usd(0);

    /// An amount from attodollars (10^-18 USD).
    pub const fn from_atto(atto: u128) -> Self {
        Usd(atto)
    }

    /// The amount in attodollars.
    pub const fn atto(self) -> u128 {
        self.0
    }

    /// An amount from whole micro-dollars (10^-6 USD).
    pub const fn from_micros(micros: u64) -> Self {
        Usd(micros as u128 * ATTO_PER_MICRO_USD)
    }

    /// `self * n`, saturating at the largest amount (about 3.4 * 10^20 USD).
    pub const fn times(self, n: u64) -> Self {
        Usd(self.0.saturating_mul(n as u128))
    }

    /// `self * ppm / 10^6`, rounded half-to-even at 10^-18 USD: a multiplier in parts per
    /// million (1.25x is 1_250_000).
    pub const fn scaled_ppm(self, ppm: u64) -> Self {
        let n = self.0.saturating_mul(ppm as u128);
        let q = n / 1_000_000;
        let r = n % 1_000_000;
        if r > 500_000 || (r == 500_000 && q % 2 == 1) {
            Usd(q + 1)
        } else {
            Usd(q)
        }
    }

    /// `self / n` rounded half-to-even at 10^-18 USD (an average); zero when `n` is zero.
    pub const fn divided_by(self, n: u64) -> Self {
        if n == 0 {
            return Usd::ZERO;
        }
        let n = n as u128;
        let q = self.0 / n;
        let r = self.0 % n;
        if r * 2 > n || (r * 2 == n && q % 2 == 1) {
            Usd(q + 1)
        } else {
            Usd(q)
        }
    }

    /// The nearest `f64`, for JSON and display. Parsing the exact decimal text gives the
    /// correctly rounded double, so `0.000162` prints as `0.000162`.
    pub fn to_f64(self) -> f64 {
        self.to_string().parse().unwrap_or(f64::MAX)
    }

    /// The amount rounded half-to-even to `decimals` places (at most 18), as text without a
    /// dollar sign: `Usd::from_micros(4770).format_fixed(4) == "0.0048"`.
    pub fn format_fixed(self, decimals: u32) -> String {
        let decimals = decimals.min(18);
        let unit = 10u128.pow(18 - decimals);
        let q = self.0 / unit;
        let r = self.0 % unit;
        let q = if r * 2 > unit || (r * 2 == unit && q % 2 == 1) {
            q + 1
        } else {
            q
        };
        let scale = 10u128.pow(decimals);
        if decimals == 0 {
            format!("{q}")
        } else {
            format!(
                "{}.{:0width$}",
                q / scale,
                q % scale,
                width = decimals as usize
            )
        }
    }
}

impl fmt::Display for Usd {
    /// The exact decimal value without trailing zeros: `0.000162`, `4.8`, `0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.0 / ATTO_PER_USD;
        let frac = self.0 % ATTO_PER_USD;
        if frac == 0 {
            return write!(f, "{whole}");
        }
        let digits = format!("{frac:018}");
        write!(f, "{whole}.{}", digits.trim_end_matches('0'))
    }
}

impl Add for Usd {
    type Output = Usd;
    fn add(self, rhs: Usd) -> Usd {
        Usd(self.0.saturating_add(rhs.0))
    }
}

impl AddAssign for Usd {
    fn add_assign(&mut self, rhs: Usd) {
        *self = *self + rhs;
    }
}

impl Sum for Usd {
    fn sum<I: Iterator<Item = Usd>>(iter: I) -> Usd {
        iter.fold(Usd::ZERO, Add::add)
    }
}

/// A decimal amount that could not be read exactly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a non-negative decimal amount with at most 18 decimals")]
pub struct InvalidAmount(pub String);

/// Parses a non-negative decimal with at most `max_decimals` places into an integer scaled by
/// `10^max_decimals`: `parse_decimal("0.25", 6) == Ok(250_000)`.
pub(crate) fn parse_decimal(text: &str, max_decimals: u32) -> Result<u128, InvalidAmount> {
    let bad = || InvalidAmount(text.to_owned());
    let t = text.trim().trim_start_matches('$');
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    if (whole.is_empty() && frac.is_empty())
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let frac = frac.trim_end_matches('0');
    if frac.len() as u32 > max_decimals || whole.len() > 20 {
        return Err(bad());
    }
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| bad())?
    };
    let mut frac_val: u128 = if frac.is_empty() {
        0
    } else {
        frac.parse().map_err(|_| bad())?
    };
    frac_val *= 10u128.pow(max_decimals - frac.len() as u32);
    whole
        .checked_mul(10u128.pow(max_decimals))
        .and_then(|w| w.checked_add(frac_val))
        .ok_or_else(bad)
}

impl FromStr for Usd {
    type Err = InvalidAmount;
    /// Reads `"0.004002"` or `"$3"` exactly.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_decimal(s, 18).map(Usd)
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Usd {
    /// A JSON number (the nearest double to the exact amount).
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.to_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_text() {
        assert_eq!(Usd::from_micros(162).to_string(), "0.000162");
        assert_eq!(Usd::from_micros(4_800_000).to_string(), "4.8");
        assert_eq!(Usd::ZERO.to_string(), "0");
        assert_eq!("0.004002".parse::<Usd>().unwrap(), Usd::from_micros(4002));
        assert_eq!("$3".parse::<Usd>().unwrap(), Usd::from_micros(3_000_000));
        assert!("-1".parse::<Usd>().is_err());
        assert!("1e3".parse::<Usd>().is_err());
        assert!(".".parse::<Usd>().is_err());
        assert!("0.0000000000000000001".parse::<Usd>().is_err());
        assert_eq!(".5".parse::<Usd>().unwrap().to_string(), "0.5");
    }

    #[test]
    fn fixed_and_float() {
        assert_eq!(Usd::from_micros(4770).format_fixed(4), "0.0048");
        assert_eq!(Usd::from_micros(4770).format_fixed(6), "0.004770");
        assert_eq!(Usd::from_micros(2_500_000).format_fixed(0), "2");
        assert_eq!(Usd::from_micros(3_500_000).format_fixed(0), "4");
        assert_eq!(Usd::from_micros(162).to_f64(), 0.000162);
    }

    #[test]
    fn arithmetic() {
        let p = Usd::from_micros(3); // $3 per MTok is 3 micro-dollars per token
        assert_eq!(p.times(54), Usd::from_micros(162));
        assert_eq!(p.scaled_ppm(500_000).times(2), p);
        assert_eq!(Usd::from_atto(3).scaled_ppm(500_000), Usd::from_atto(2)); // 1.5 -> 2
        assert_eq!(Usd::from_atto(5).scaled_ppm(500_000), Usd::from_atto(2)); // 2.5 -> 2
        assert_eq!(
            Usd::from_micros(10).divided_by(4),
            Usd::from_atto(2_500_000_000_000)
        );
        assert_eq!(Usd::from_micros(10).divided_by(0), Usd::ZERO);
        assert_eq!(
            Usd::from_atto(u128::MAX).times(2),
            Usd::from_atto(u128::MAX)
        );
        let total: Usd = [Usd::from_micros(1), Usd::from_micros(2)].into_iter().sum();
        assert_eq!(total, Usd::from_micros(3));
    }
}
