//! What only a live tenant needs: [`GraphProvisioner`] (`--fixtures graph`: one-time reviews
//! created through the API, waited for, stopped and deleted) and [`sweep`] (`--sweep`: this
//! tool's leftovers on a tenant).

pub mod graph;
pub mod marker;
pub mod sweep;

pub use graph::GraphProvisioner;
