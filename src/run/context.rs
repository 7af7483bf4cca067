//! What every trial of a run shares: the target, the provisioner, the schemas, the principals
//! and the run's progress counters.

use std::collections::HashMap;
use std::sync::Arc;

use crate::load::schema::SchemaSet;
use crate::provision::progress::Progress;
use crate::provision::{ControlProtocol, Provisioner};
use crate::run::outcome::Outcome;
use crate::target::Target;

/// What every trial of a run shares.
#[derive(Debug)]
pub struct RunContext {
    /// The target.
    pub target: Target,
    /// How starting states come to exist on it.
    pub provisioner: Arc<dyn Provisioner>,
    /// Compiled schemas.
    pub schemas: Arc<SchemaSet>,
    /// Principal names to object ids (every trial's bindings share them).
    pub principals: Arc<HashMap<String, String>>,
    /// How far the run is (for a progress line; the runner only counts).
    pub progress: Arc<Progress>,
    /// Which trials leave their state on the target for a reproduction by hand
    /// (`--keep-on-failure`: those whose outcome fails the run); none when unset.
    pub keep: Option<KeepWhen>,
    /// Whether each trial's behaviour is recorded in its outcome, and how much of it
    /// (`--probe`, `--compare`); none by default.
    pub observe: Option<crate::run::behaviour::Detail>,
    /// The facts each trial is held to in place of the inferred expectations (`--profile`),
    /// by trial name.
    pub profile: Option<Arc<HeldTo>>,
}

/// A target profile's facts, by trial name.
pub type HeldTo = std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>;

/// The test a [`KeepWhen`] applies: a trial's name and its outcome before cleanup → keep.
pub type KeepTest = dyn Fn(&str, &Outcome) -> bool + Send + Sync;

/// Whether a trial (by name, with its outcome before cleanup) leaves its state on the target.
#[derive(Clone)]
pub struct KeepWhen(pub Arc<KeepTest>);

impl std::fmt::Debug for KeepWhen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeepWhen(..)")
    }
}

impl RunContext {
    /// A context that provisions with `provisioner`.
    pub fn with_provisioner(
        target: Target,
        provisioner: Arc<dyn Provisioner>,
        schemas: Arc<SchemaSet>,
        principals: HashMap<String, String>,
    ) -> RunContext {
        RunContext {
            target,
            provisioner,
            schemas,
            principals: Arc::new(principals),
            progress: Arc::default(),
            keep: None,
            observe: None,
            profile: None,
        }
    }

    /// A context that provisions through the fixture control protocol at the target's
    /// control URL.
    pub fn new(
        target: Target,
        schemas: Arc<SchemaSet>,
        principals: HashMap<String, String>,
    ) -> RunContext {
        RunContext {
            provisioner: Arc::new(ControlProtocol::new(target.clone())),
            target,
            schemas,
            principals: Arc::new(principals),
            progress: Arc::default(),
            keep: None,
            observe: None,
            profile: None,
        }
    }
}
