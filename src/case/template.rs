//! `${…}` templates in case files: symbolic ids, principals by name, matrix values, fresh
//! ids and references to the starting state.
//!
//! | expression | value |
//! |---|---|
//! | `${definition.id}`, `${NAME.id}` | the id the target gave the seeded definition or instance `NAME` |
//! | `${principal.NAME}` | the object id of principal `NAME` on this target |
//! | `${matrix.KEY}` | this trial's value of matrix key `KEY` |
//! | `${new.LABEL}` | a fresh random uuid, the same for one `LABEL` within a trial |
//! | `${given.NAME.PROP…}` | a property of the starting state as sent to the target |
//! | `${before.NAME.PROP…}` | a property of the starting state as the target holds it, read back just before the request |
//! | `${each.KEY}` | in a copy of a `repeat` request, that copy's value of `when.each.KEY` |
//!
//! A string that is exactly one expression takes the expression's JSON value (an object, a
//! number…); otherwise values are spliced in as text. `$${` is a literal `${`.

mod bindings;
mod expr;
mod tree;

pub use bindings::Bindings;
pub use expr::{Expr, FORMS, Template, TemplateError};
pub use tree::{TemplateVisitor, Text, Tree, for_each_template, unescape};

#[cfg(test)]
mod tests;
