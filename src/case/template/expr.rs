//! One `${…}` expression and a parsed string of them: the syntax, with no values.

/// One `${…}` expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    /// `${NAME.id}`: the id of a seeded definition or instance.
    Id(String),
    /// `${principal.NAME}`.
    Principal(String),
    /// `${matrix.KEY}`.
    Matrix(String),
    /// `${new.LABEL}`.
    New(String),
    /// `${given.NAME.PROP…}`.
    Given(Vec<String>),
    /// `${before.NAME.PROP…}`: the object as read back just before the request.
    Before(Vec<String>),
    /// `${each.KEY}`: this copy's value of a `repeat` case's `each` key.
    Each(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Segment {
    Text(String),
    Expr(Expr),
}

/// A parsed string with at least one expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    pub(super) segments: Vec<Segment>,
}

/// Why a template could not be parsed or rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// `${` without `}`.
    #[error("unclosed `${{` in template")]
    Unclosed,
    /// An expression of unknown form.
    #[error("unknown template expression `${{{0}}}`")]
    UnknownForm(String),
    /// An expression naming something that does not exist.
    #[error("`${{{expr}}}`: {problem}")]
    Unresolved {
        /// The expression text.
        expr: String,
        /// What is missing.
        problem: String,
    },
}

/// The forms an expression may take, for help texts.
pub const FORMS: &str = "${NAME.id}, ${principal.NAME}, ${matrix.KEY}, ${new.LABEL}, ${given.NAME.PROPERTY}, ${before.NAME.PROPERTY}, ${each.KEY}";

impl Template {
    /// Parses `text`; `Ok(None)` when it holds no expression (after unescaping `$${`).
    pub fn parse(text: &str) -> Result<Option<Template>, TemplateError> {
        if !text.contains("${") {
            return Ok(None);
        }
        let mut segments = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        let mut has_expr = false;
        // Every slice below is at a position `find` returned for an ASCII pattern (`${`, `}`)
        // or one byte before a `$`: always a char boundary.
        while let Some(i) = rest.find("${") {
            if rest[..i].ends_with('$') {
                literal.push_str(&rest[..i - 1]);
                literal.push_str("${");
                rest = &rest[i + 2..];
                continue;
            }
            literal.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            let end = after.find('}').ok_or(TemplateError::Unclosed)?;
            let expr = parse_expr(after[..end].trim())?;
            if !literal.is_empty() {
                segments.push(Segment::Text(std::mem::take(&mut literal)));
            }
            segments.push(Segment::Expr(expr));
            has_expr = true;
            rest = &after[end + 1..];
        }
        literal.push_str(rest);
        if !has_expr {
            return Ok(None);
        }
        if !literal.is_empty() {
            segments.push(Segment::Text(literal));
        }
        Ok(Some(Template { segments }))
    }

    /// The expressions of this template.
    pub fn exprs(&self) -> impl Iterator<Item = &Expr> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Expr(e) => Some(e),
            Segment::Text(_) => None,
        })
    }
}

fn parse_expr(text: &str) -> Result<Expr, TemplateError> {
    let unknown = || TemplateError::UnknownForm(text.to_string());
    let (head, tail) = text.split_once('.').ok_or_else(unknown)?;
    if tail.is_empty() || head.is_empty() {
        return Err(unknown());
    }
    Ok(match head {
        "principal" => Expr::Principal(tail.to_string()),
        "matrix" => Expr::Matrix(tail.to_string()),
        "new" => Expr::New(tail.to_string()),
        "given" => Expr::Given(tail.split('.').map(str::to_string).collect()),
        "before" => Expr::Before(tail.split('.').map(str::to_string).collect()),
        "each" => Expr::Each(tail.to_string()),
        name if tail == "id" => Expr::Id(name.to_string()),
        _ => return Err(unknown()),
    })
}

/// The expression as written, without `${…}` (e.g. `principal.alice`).
impl std::fmt::Display for Expr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expr::Id(n) => write!(f, "{n}.id"),
            Expr::Principal(n) => write!(f, "principal.{n}"),
            Expr::Matrix(k) => write!(f, "matrix.{k}"),
            Expr::New(l) => write!(f, "new.{l}"),
            Expr::Given(p) => write!(f, "given.{}", p.join(".")),
            Expr::Before(p) => write!(f, "before.{}", p.join(".")),
            Expr::Each(k) => write!(f, "each.{k}"),
        }
    }
}
