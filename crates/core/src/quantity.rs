//! Physical units at run time: a unit string (`kPa`, `m3/h`, `W/(m2.K)`, `°F`, `r/min`)
//! parsed into its SI dimension, scale and offset, so a caller may give a model's input in
//! any unit of the right kind and gets it converted, or a clear refusal naming both units.
//!
//! Grammar: factors joined by `.`, `·`, `*` or a space, `/` dividing by the next factor
//! (`W/m2/K` = `W/(m2.K)`), parentheses, exponents as digits (`m3`, `s-1`), `^n` or
//! superscripts (`m³`, `s⁻¹`), and plain numbers as factors (`mL/(100 g)`, `1/(30 min)`). An atom is a unit symbol, optionally with an SI prefix
//! (`kPa`, `mm`, `µm`, `MW`); symbols are tried whole before a prefix is split off, so
//! `min`, `h`, `d` and `T` are minute, hour, day and tesla.
//!
//! Angles are dimensionless with one revolution as 1 (`rad` = 1/2π, `°` = 1/360), so
//! `r/min`, `Hz` and `rad/s` convert into each other as rotation rates do. Absolute
//! temperatures (`°C`, `°F`) carry an offset only when they stand alone; inside a
//! compound unit (`W/(m2.°C)`) or for a temperature difference they are intervals.

use std::fmt;

/// Exponents of the SI base dimensions: m, kg, s, A, K, mol, cd.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Dimension(pub [i8; 7]);

const BASE_SYMBOLS: [&str; 7] = ["m", "kg", "s", "A", "K", "mol", "cd"];

impl Dimension {
    pub const NONE: Dimension = Dimension([0; 7]);
    pub const TEMPERATURE: Dimension = Dimension([0, 0, 0, 0, 1, 0, 0]);

    fn times(self, other: Dimension, power: i8) -> Dimension {
        let mut d = self.0;
        for (a, b) in d.iter_mut().zip(other.0) {
            *a += b * power;
        }
        Dimension(d)
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Dimension::NONE {
            return f.write_str("1");
        }
        let mut first = true;
        for (sym, e) in BASE_SYMBOLS.iter().zip(self.0) {
            if e == 0 {
                continue;
            }
            if !first {
                f.write_str(".")?;
            }
            first = false;
            if e == 1 {
                f.write_str(sym)?;
            } else {
                write!(f, "{sym}{e}")?;
            }
        }
        Ok(())
    }
}

/// A parsed unit: SI value = value × `factor` + `offset`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Unit {
    pub dim: Dimension,
    pub factor: f64,
    /// Non-zero only for a lone absolute temperature (`°C`, `°F`).
    pub offset: f64,
}

/// Whether a value is a level (a temperature of 20 °C) or a difference (a rise of 20 °C):
/// only levels take the offset of °C and °F.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scale {
    #[default]
    Level,
    Difference,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitError {
    #[error("unknown unit {symbol:?} in {unit:?}")]
    Unknown { unit: String, symbol: String },
    #[error("cannot read unit {unit:?}: {reason}")]
    Syntax { unit: String, reason: &'static str },
    #[error("unit {from:?} ({from_dim}) cannot be converted to {to:?} ({to_dim})")]
    Incompatible {
        from: String,
        to: String,
        from_dim: String,
        to_dim: String,
    },
}

impl UnitError {
    /// The message in Chinese (the `Display` text is the English one).
    pub fn message_zh(&self) -> String {
        match self {
            UnitError::Unknown { unit, symbol } => {
                format!("单位 {unit:?} 中的 {symbol:?} 无法识别")
            }
            UnitError::Syntax { unit, reason } => format!("无法解析单位 {unit:?}：{reason}"),
            UnitError::Incompatible {
                from,
                to,
                from_dim,
                to_dim,
            } => format!("单位 {from:?}（量纲 {from_dim}）不能换算为 {to:?}（量纲 {to_dim}）"),
        }
    }
}

struct Symbol {
    name: &'static str,
    dim: [i8; 7],
    factor: f64,
    offset: f64,
    /// Takes SI prefixes (`k`, `M`, `m`, `µ` …).
    prefixed: bool,
}

const fn sym(name: &'static str, dim: [i8; 7], factor: f64, prefixed: bool) -> Symbol {
    Symbol {
        name,
        dim,
        factor,
        offset: 0.0,
        prefixed,
    }
}

const ONE: [i8; 7] = [0; 7];
const LENGTH: [i8; 7] = [1, 0, 0, 0, 0, 0, 0];
const MASS: [i8; 7] = [0, 1, 0, 0, 0, 0, 0];
const TIME: [i8; 7] = [0, 0, 1, 0, 0, 0, 0];
const CURRENT: [i8; 7] = [0, 0, 0, 1, 0, 0, 0];
const TEMP: [i8; 7] = [0, 0, 0, 0, 1, 0, 0];
const AMOUNT: [i8; 7] = [0, 0, 0, 0, 0, 1, 0];
const LUMINOUS: [i8; 7] = [0, 0, 0, 0, 0, 0, 1];
const FREQ: [i8; 7] = [0, 0, -1, 0, 0, 0, 0];
const FORCE: [i8; 7] = [1, 1, -2, 0, 0, 0, 0];
const PRESSURE: [i8; 7] = [-1, 1, -2, 0, 0, 0, 0];
const ENERGY: [i8; 7] = [2, 1, -2, 0, 0, 0, 0];
const POWER: [i8; 7] = [2, 1, -3, 0, 0, 0, 0];
const CHARGE: [i8; 7] = [0, 0, 1, 1, 0, 0, 0];
const VOLTAGE: [i8; 7] = [2, 1, -3, -1, 0, 0, 0];
const VOLUME: [i8; 7] = [3, 0, 0, 0, 0, 0, 0];
const AREA: [i8; 7] = [2, 0, 0, 0, 0, 0, 0];
const VELOCITY: [i8; 7] = [1, 0, -1, 0, 0, 0, 0];
const TAU: f64 = std::f64::consts::TAU;
/// °F to K: K = °F × 5/9 + 459.67 × 5/9.
const F_FACTOR: f64 = 5.0 / 9.0;

/// The symbols, with their SI value. Sources: the SI Brochure (9th ed.) tables 2–4 and 8;
/// NIST SP 811 appendix B for the customary units; GB/T 2589-2020 for kgce/tce.
const SYMBOLS: &[Symbol] = &[
    sym("1", ONE, 1.0, false),
    sym("%", ONE, 0.01, false),
    sym("‰", ONE, 0.001, false),
    sym("ppm", ONE, 1e-6, false),
    sym("r", ONE, 1.0, false),
    sym("rev", ONE, 1.0, false),
    sym("rad", ONE, 1.0 / TAU, true),
    sym("°", ONE, 1.0 / 360.0, false),
    sym("deg", ONE, 1.0 / 360.0, false),
    sym("rpm", FREQ, 1.0 / 60.0, false),
    sym("m", LENGTH, 1.0, true),
    sym("in", LENGTH, 0.0254, false),
    sym("ft", LENGTH, 0.3048, false),
    sym("g", MASS, 1e-3, true),
    sym("t", MASS, 1e3, true),
    sym("lb", MASS, 0.453_592_37, false),
    sym("s", TIME, 1.0, true),
    sym("min", TIME, 60.0, false),
    sym("h", TIME, 3600.0, false),
    sym("d", TIME, 86_400.0, false),
    sym("a", TIME, 365.25 * 86_400.0, false),
    sym("A", CURRENT, 1.0, true),
    sym("K", TEMP, 1.0, true),
    Symbol {
        name: "°C",
        dim: TEMP,
        factor: 1.0,
        offset: 273.15,
        prefixed: false,
    },
    Symbol {
        name: "℃",
        dim: TEMP,
        factor: 1.0,
        offset: 273.15,
        prefixed: false,
    },
    Symbol {
        name: "degC",
        dim: TEMP,
        factor: 1.0,
        offset: 273.15,
        prefixed: false,
    },
    Symbol {
        name: "°F",
        dim: TEMP,
        factor: F_FACTOR,
        offset: 459.67 * F_FACTOR,
        prefixed: false,
    },
    Symbol {
        name: "℉",
        dim: TEMP,
        factor: F_FACTOR,
        offset: 459.67 * F_FACTOR,
        prefixed: false,
    },
    Symbol {
        name: "degF",
        dim: TEMP,
        factor: F_FACTOR,
        offset: 459.67 * F_FACTOR,
        prefixed: false,
    },
    sym("mol", AMOUNT, 1.0, true),
    sym("cd", LUMINOUS, 1.0, true),
    sym("Hz", FREQ, 1.0, true),
    sym("N", FORCE, 1.0, true),
    sym("kgf", FORCE, 9.806_65, false),
    sym("lbf", FORCE, 4.448_221_615_260_5, false),
    sym("Pa", PRESSURE, 1.0, true),
    sym("bar", PRESSURE, 1e5, true),
    sym("atm", PRESSURE, 101_325.0, false),
    sym("psi", PRESSURE, 6_894.757_293_168, false),
    sym("mmHg", PRESSURE, 133.322_387_415, false),
    sym("mH2O", PRESSURE, 9_806.65, false),
    sym("J", ENERGY, 1.0, true),
    sym("Wh", ENERGY, 3600.0, true),
    sym("cal", ENERGY, 4.184, true),
    sym("BTU", ENERGY, 1_055.055_852_62, false),
    sym("Btu", ENERGY, 1_055.055_852_62, false),
    // GB/T 2589-2020: 1 kgce = 29 307.6 kJ.
    sym("kgce", ENERGY, 29_307_600.0, false),
    sym("tce", ENERGY, 29_307_600_000.0, false),
    sym("W", POWER, 1.0, true),
    sym("VA", POWER, 1.0, true),
    sym("var", POWER, 1.0, true),
    sym("hp", POWER, 745.699_871_582_270_2, false),
    sym("PS", POWER, 735.498_75, false),
    // Refrigeration ton: 12 000 BTU/h.
    sym("RT", POWER, 3_516.852_842_067_2, false),
    sym("C", CHARGE, 1.0, true),
    sym("Ah", CHARGE, 3600.0, true),
    sym("V", VOLTAGE, 1.0, true),
    sym("Ω", [2, 1, -3, -2, 0, 0, 0], 1.0, true),
    sym("ohm", [2, 1, -3, -2, 0, 0, 0], 1.0, true),
    sym("S", [-2, -1, 3, 2, 0, 0, 0], 1.0, true),
    sym("F", [-2, -1, 4, 2, 0, 0, 0], 1.0, true),
    sym("H", [2, 1, -2, -2, 0, 0, 0], 1.0, true),
    sym("Wb", [2, 1, -2, -1, 0, 0, 0], 1.0, true),
    sym("T", [0, 1, -2, -1, 0, 0, 0], 1.0, true),
    sym("L", VOLUME, 1e-3, true),
    sym("l", VOLUME, 1e-3, true),
    sym("gal", VOLUME, 3.785_411_784e-3, false),
    sym("ha", AREA, 1e4, false),
    sym("kn", VELOCITY, 1852.0 / 3600.0, false),
    sym("tex", [-1, 1, 0, 0, 0, 0, 0], 1e-6, true),
    sym("den", [-1, 1, 0, 0, 0, 0, 0], 1e-3 / 9000.0, false),
];

const PREFIXES: &[(&str, f64)] = &[
    ("G", 1e9),
    ("M", 1e6),
    ("k", 1e3),
    ("h", 1e2),
    ("da", 1e1),
    ("d", 1e-1),
    ("c", 1e-2),
    ("m", 1e-3),
    ("µ", 1e-6),
    ("μ", 1e-6),
    ("u", 1e-6),
    ("n", 1e-9),
    ("p", 1e-12),
];

fn symbol(atom: &str) -> Option<(&'static Symbol, f64)> {
    if let Some(s) = SYMBOLS.iter().find(|s| s.name == atom) {
        return Some((s, 1.0));
    }
    for (p, scale) in PREFIXES {
        if let Some(rest) = atom.strip_prefix(p)
            && let Some(s) = SYMBOLS.iter().find(|s| s.prefixed && s.name == rest)
        {
            return Some((s, *scale));
        }
    }
    None
}

fn is_atom_char(c: char) -> bool {
    c.is_alphabetic() || matches!(c, '°' | '%' | '‰' | 'Ω' | '℃' | '℉' | 'µ' | 'μ')
}

fn superscript(c: char) -> Option<char> {
    Some(match c {
        '⁰' => '0',
        '¹' => '1',
        '²' => '2',
        '³' => '3',
        '⁴' => '4',
        '⁵' => '5',
        '⁶' => '6',
        '⁷' => '7',
        '⁸' => '8',
        '⁹' => '9',
        '⁻' => '-',
        _ => return None,
    })
}

/// The longest unit string accepted (a guard for hostile input).
pub const MAX_UNIT_LEN: usize = 64;

struct Parser<'a> {
    src: &'a str,
    chars: Vec<char>,
    pos: usize,
    /// Atoms read and whether any had an exponent other than 1 (offsets then drop).
    atoms: usize,
    compound: bool,
}

impl Parser<'_> {
    fn err(&self, reason: &'static str) -> UnitError {
        UnitError::Syntax {
            unit: self.src.to_string(),
            reason,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_spaces(&mut self) -> bool {
        let start = self.pos;
        while self.peek() == Some(' ') {
            self.pos += 1;
        }
        self.pos > start
    }

    /// product := factor ((sep | '/') factor)*
    fn product(&mut self, depth: u8) -> Result<Unit, UnitError> {
        if depth > 4 {
            return Err(self.err("too many nested parentheses"));
        }
        self.skip_spaces();
        let mut acc = self.factor(depth)?;
        loop {
            let spaced = self.skip_spaces();
            match self.peek() {
                None | Some(')') => return Ok(acc),
                Some('/') => {
                    self.pos += 1;
                    self.skip_spaces();
                    let f = self.factor(depth)?;
                    acc = mul(acc, f, -1);
                }
                Some('.' | '·' | '*' | '⋅') => {
                    self.pos += 1;
                    self.skip_spaces();
                    let f = self.factor(depth)?;
                    acc = mul(acc, f, 1);
                }
                Some(_) if spaced => {
                    let f = self.factor(depth)?;
                    acc = mul(acc, f, 1);
                }
                Some(_) => return Err(self.err("unexpected character")),
            }
        }
    }

    fn factor(&mut self, depth: u8) -> Result<Unit, UnitError> {
        let base = match self.peek() {
            Some('(') => {
                self.pos += 1;
                let u = self.product(depth + 1)?;
                if self.peek() != Some(')') {
                    return Err(self.err("missing ')'"));
                }
                self.pos += 1;
                self.compound = true;
                u
            }
            Some(c) if c.is_ascii_digit() => {
                // A number as a factor: `1/min`, `mL/(100 g)`, `1/(30 min)`.
                let start = self.pos;
                while self.peek().is_some_and(|c| c.is_ascii_digit() || c == '.') {
                    self.pos += 1;
                }
                let text: String = self.chars[start..self.pos].iter().collect();
                let value: f64 = text
                    .parse()
                    .map_err(|_| self.err("a number in the unit is malformed"))?;
                if !(value > 0.0 && value.is_finite()) {
                    return Err(self.err("a number in the unit must be positive"));
                }
                self.atoms += 1;
                self.compound |= value != 1.0;
                return Ok(Unit {
                    dim: Dimension::NONE,
                    factor: value,
                    offset: 0.0,
                });
            }
            Some(c) if is_atom_char(c) => {
                let start = self.pos;
                while self.peek().is_some_and(is_atom_char) {
                    self.pos += 1;
                }
                // `mH2O`: the digit belongs to the symbol.
                if self.chars[start..self.pos].iter().collect::<String>() == "mH"
                    && self.chars.get(self.pos..self.pos + 2) == Some(&['2', 'O'])
                {
                    self.pos += 2;
                }
                let atom: String = self.chars[start..self.pos].iter().collect();
                let (s, scale) = symbol(&atom).ok_or_else(|| UnitError::Unknown {
                    unit: self.src.to_string(),
                    symbol: atom.clone(),
                })?;
                self.atoms += 1;
                Unit {
                    dim: Dimension(s.dim),
                    factor: s.factor * scale,
                    offset: s.offset,
                }
            }
            Some(_) => return Err(self.err("expected a unit symbol")),
            None => return Err(self.err("ends where a unit symbol was expected")),
        };
        let power = self.exponent()?;
        if power != 1 {
            self.compound = true;
        }
        Ok(pow(base, power))
    }

    fn exponent(&mut self) -> Result<i8, UnitError> {
        let mut text = String::new();
        if self.peek() == Some('^') {
            self.pos += 1;
        }
        while let Some(c) = self.peek() {
            let c = superscript(c).unwrap_or(c);
            if c.is_ascii_digit() || (c == '-' && text.is_empty()) {
                text.push(c);
                self.pos += 1;
            } else {
                break;
            }
        }
        if text.is_empty() {
            return Ok(1);
        }
        match text.parse::<i8>() {
            Ok(p) if (-9..=9).contains(&p) && p != 0 => Ok(p),
            _ => Err(self.err("exponents are whole numbers from -9 to 9, not 0")),
        }
    }
}

fn mul(a: Unit, b: Unit, power: i8) -> Unit {
    Unit {
        dim: a.dim.times(b.dim, power),
        factor: a.factor * b.factor.powi(power as i32),
        offset: 0.0,
    }
}

fn pow(u: Unit, power: i8) -> Unit {
    if power == 1 {
        return u;
    }
    Unit {
        dim: Dimension::NONE.times(u.dim, power),
        factor: u.factor.powi(power as i32),
        offset: 0.0,
    }
}

impl Unit {
    /// Parses a unit string; `""` is the dimensionless unit.
    pub fn parse(src: &str) -> Result<Unit, UnitError> {
        let trimmed = src.trim();
        if trimmed.len() > MAX_UNIT_LEN {
            return Err(UnitError::Syntax {
                unit: trimmed.chars().take(MAX_UNIT_LEN).collect(),
                reason: "too long",
            });
        }
        if trimmed.is_empty() || trimmed == "-" {
            return Ok(Unit {
                dim: Dimension::NONE,
                factor: 1.0,
                offset: 0.0,
            });
        }
        let mut p = Parser {
            src: trimmed,
            chars: trimmed.chars().collect(),
            pos: 0,
            atoms: 0,
            compound: false,
        };
        let mut u = p.product(0)?;
        if p.pos != p.chars.len() {
            return Err(p.err("unbalanced ')'"));
        }
        if p.atoms > 1 || p.compound {
            u.offset = 0.0;
        }
        if !u.factor.is_finite() || u.factor == 0.0 {
            return Err(p.err("scale out of range"));
        }
        Ok(u)
    }

    pub fn to_si(&self, v: f64, scale: Scale) -> f64 {
        match scale {
            Scale::Level => v * self.factor + self.offset,
            Scale::Difference => v * self.factor,
        }
    }

    pub fn from_si(&self, v: f64, scale: Scale) -> f64 {
        match scale {
            Scale::Level => (v - self.offset) / self.factor,
            Scale::Difference => v / self.factor,
        }
    }
}

impl fmt::Display for Unit {
    /// The SI form: the dimension with its scale (`kg.m-3`, `1000 m`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.factor != 1.0 {
            write!(f, "{} ", self.factor)?;
        }
        write!(f, "{}", self.dim)
    }
}

/// Converts `v` from unit `from` to unit `to`.
pub fn convert(v: f64, from: &str, to: &str, scale: Scale) -> Result<f64, UnitError> {
    if from == to {
        return Ok(v);
    }
    let (a, b) = (Unit::parse(from)?, Unit::parse(to)?);
    if a.dim != b.dim {
        return Err(UnitError::Incompatible {
            from: from.to_string(),
            to: to.to_string(),
            from_dim: a.dim.to_string(),
            to_dim: b.dim.to_string(),
        });
    }
    Ok(b.from_si(a.to_si(v, scale), scale))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1e-300)
    }

    fn c(v: f64, from: &str, to: &str) -> f64 {
        convert(v, from, to, Scale::Level).unwrap()
    }

    #[test]
    fn converts_everyday_engineering_units() {
        assert!(close(c(1.0, "bar", "kPa"), 100.0));
        assert!(close(c(1.0, "MPa", "bar"), 10.0));
        assert!(close(c(1.0, "atm", "Pa"), 101_325.0));
        assert!(close(c(100.0, "m3/h", "L/s"), 100.0 / 3.6));
        assert!(close(c(100.0, "m³/h", "m3/s"), 100.0 / 3600.0));
        assert!(close(c(1450.0, "r/min", "Hz"), 1450.0 / 60.0));
        assert!(close(c(1450.0, "rpm", "r/min"), 1450.0));
        assert!(close(c(1.0, "r/min", "rad/s"), TAU / 60.0));
        assert!(close(c(1.0, "kW.h", "MJ"), 3.6));
        assert!(close(c(1.0, "kWh", "J"), 3.6e6));
        assert!(close(c(1.0, "N·m", "J"), 1.0));
        assert!(close(c(1.0, "W/(m2.K)", "W/m2/K"), 1.0));
        assert!(close(c(1.0, "kJ/(kg.K)", "J/(kg·°C)"), 1000.0));
        assert!(close(c(1.0, "mm2/s", "m^2/s"), 1e-6));
        assert!(close(c(1.0, "mPa.s", "Pa s"), 1e-3));
        assert!(close(c(1.0, "µm", "m"), 1e-6));
        assert!(close(c(1.0, "um", "mm"), 1e-3));
        assert!(close(c(1.0, "tce", "GJ"), 29.3076));
        assert!(close(c(1.0, "RT", "kW"), 3.516_852_842_067_2));
        assert!(close(c(50.0, "%", "1"), 0.5));
        assert!(close(c(1.0, "s-1", "Hz"), 1.0));
        assert!(close(c(1.0, "s⁻¹", "1/s"), 1.0));
        assert!(close(c(1.0, "mH2O", "kPa"), 9.806_65));
        assert!(close(c(1.0, "psi", "kPa"), 6.894_757_293_168));
        assert!(close(c(20.0, "tex", "den"), 180.0));
        assert!(close(c(1.0, "hPa", "Pa"), 100.0));
        assert!(close(c(1.0, "dm3", "L"), 1.0));
        assert!(close(c(360.0, "1/(30 min)", "1/h"), 720.0));
        assert!(close(c(5.0, "mL/(100 g)", "mL/kg"), 50.0));
        assert!(close(c(2.0, "1/(0.5 h)", "1/h"), 4.0));
    }

    #[test]
    fn temperatures_take_offsets_only_as_levels() {
        assert!(close(c(25.0, "°C", "K"), 298.15));
        assert!(close(c(212.0, "°F", "°C"), 100.0));
        assert!(close(c(-40.0, "degF", "degC"), -40.0));
        assert!(close(c(0.0, "℃", "℉"), 32.0));
        // A difference of 10 °C is 18 °F and 10 K.
        assert!(close(
            convert(10.0, "°C", "°F", Scale::Difference).unwrap(),
            18.0
        ));
        assert!(close(
            convert(10.0, "degC", "K", Scale::Difference).unwrap(),
            10.0
        ));
        // Inside a compound unit, °C is an interval.
        assert!(close(c(1.0, "W/(m2.°C)", "W/(m2.K)"), 1.0));
        assert!(close(c(1.0, "J/(kg.°F)", "J/(kg.K)"), 1.8));
    }

    #[test]
    fn refuses_incompatible_and_unknown_units() {
        let e = convert(1.0, "kPa", "m", Scale::Level).unwrap_err();
        assert!(matches!(e, UnitError::Incompatible { .. }));
        assert!(e.to_string().contains("kPa"), "{e}");
        assert!(e.message_zh().contains("不能换算"));
        assert!(matches!(
            Unit::parse("furlong").unwrap_err(),
            UnitError::Unknown { .. }
        ));
        assert!(matches!(
            Unit::parse("kPa)").unwrap_err(),
            UnitError::Syntax { .. }
        ));
        assert!(matches!(
            Unit::parse("(m").unwrap_err(),
            UnitError::Syntax { .. }
        ));
        assert!(Unit::parse("m0").is_err());
        assert!(Unit::parse("m^99").is_err());
        assert!(Unit::parse(&"m.".repeat(100)).is_err());
        assert!(Unit::parse("((((((m))))))").is_err());
        assert!(Unit::parse("m/").is_err());
        assert!(Unit::parse("0 m").is_err());
        assert!(Unit::parse("1.2.3 m").is_err());
        // Prefixes only where SI allows them.
        assert!(Unit::parse("kpsi").is_err());
        assert!(Unit::parse("kmin").is_err());
    }

    #[test]
    fn whole_symbols_win_over_prefixes() {
        assert_eq!(Unit::parse("min").unwrap().factor, 60.0);
        assert_eq!(Unit::parse("h").unwrap().factor, 3600.0);
        assert_eq!(Unit::parse("d").unwrap().factor, 86_400.0);
        assert_eq!(
            Unit::parse("T").unwrap().dim,
            Dimension([0, 1, -2, -1, 0, 0, 0])
        );
        assert_eq!(Unit::parse("mm").unwrap().factor, 1e-3);
        assert_eq!(Unit::parse("cd").unwrap().dim, Dimension(LUMINOUS));
        assert_eq!(Unit::parse("").unwrap().dim, Dimension::NONE);
        assert_eq!(Unit::parse("kg/m3").unwrap().to_string(), "m-3.kg");
    }

    #[test]
    fn any_input_is_answered_without_panicking() {
        let alphabet = [
            "k", "m", "/", "(", ")", "2", "-", "^", ".", " ", "°", "C", "Pa", "³", "⁻", "1",
        ];
        let mut seed = 7u64;
        for _ in 0..20_000 {
            let mut s = String::new();
            for _ in 0..(seed % 9) {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                s.push_str(alphabet[(seed >> 33) as usize % alphabet.len()]);
            }
            let _ = Unit::parse(&s);
        }
    }
}
