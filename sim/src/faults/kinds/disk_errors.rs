//! `disk-errors`: the broker's disk fails each append and each sync with probability
//! `error_rate` (default 0.2), reporting the error to the caller, until the fault ends: a
//! failing volume, not a slow one. What was written before stays; a failed sync leaves the
//! data unsynced. Kafka takes such a log directory offline; the broker must at least never
//! acknowledge what it could not write.
//!
//! Brokers only: a controller's Raft log store stops its node on any storage error (openraft
//! treats one as fatal), and nothing here restarts a controller yet, so a drawn error would
//! only end the quorum member for the rest of the run. It counts as down for the budget: its
//! copies may lose what they could not sync.

use korasim_core::storage::DiskOperation;

use crate::faults::{
    Draw, Drawn, Effect, FaultEvent, FaultKindModule, Heal, ParamValue, ParamValues, Resolved, Shape,
    TargetForm,
};
use crate::scenario_file::{FaultAction, FaultKeys, ScenarioError};
use crate::world::World;

pub struct DiskErrors;

const DEFAULT_ERROR_RATE: f64 = 0.2;

/// The operations that fail: the ones that change what is on the medium.
const FAILING: [DiskOperation; 2] = [DiskOperation::Append, DiskOperation::Sync];

fn error_rate(keys: &mut FaultKeys, key: &'static str) -> Result<(), ScenarioError> {
    keys.number(
        key,
        DEFAULT_ERROR_RATE,
        |rate| rate > 0.0 && rate <= 1.0,
        "a number above 0 and at most 1",
        "0.2 fails one append or sync in five",
    )
    .map(|_| ())
}

impl FaultKindModule for DiskErrors {
    fn name(&self) -> &'static str {
        "disk-errors"
    }

    fn shape(&self) -> Shape {
        Shape::lasting(TargetForm::Broker {
            why: "a controller's Raft log stops its node on any storage error, and nothing restarts it yet",
        })
    }

    fn keys(&self, keys: &mut FaultKeys) -> Result<(), ScenarioError> {
        error_rate(keys, "error_rate")
    }

    fn random_keys(&self, keys: &mut FaultKeys) -> Result<(), ScenarioError> {
        error_rate(keys, "disk_error_rate")
    }

    fn draw(&self, draw: &mut Draw<'_>) -> Drawn {
        let rate = draw.params.number("disk_error_rate");
        Drawn {
            params: ParamValues::default().with("error_rate", ParamValue::Number(rate)),
            ..Drawn::at(draw.broker())
        }
    }

    fn degrades_broker(&self, _action: &FaultAction) -> bool {
        true
    }

    fn fire(&self, world: &World, action: &FaultAction, resolved: &Resolved) -> Effect {
        let rate = action.params.number("error_rate");
        let mut failing = Vec::new();
        for name in &resolved.targets {
            let Some(disk) = world.disk(name) else { continue };
            world.fault(FaultEvent::FaultBegan {
                kind: self.name().to_string(),
                node: name.clone(),
                detail: format!("{:.0}%", rate * 100.0),
            });
            FAILING
                .iter()
                .for_each(|operation| disk.set_error_probability(*operation, rate));
            failing.push(name.clone());
        }
        let healed = failing.clone();
        let began_at_ms = world.elapsed().as_millis() as u64;
        Effect {
            found_no_target: failing.is_empty(),
            heal: Some(Heal::new(move |world, _| {
                for name in &healed {
                    if let Some(disk) = world.disk(name) {
                        FAILING
                            .iter()
                            .for_each(|operation| disk.set_error_probability(*operation, 0.0));
                    }
                    world.fault(FaultEvent::FaultEnded {
                        kind: "disk-errors".to_string(),
                        node: name.clone(),
                        began_at_ms,
                        still_held: false,
                    });
                }
            })),
            ..Effect::default()
        }
    }
}
