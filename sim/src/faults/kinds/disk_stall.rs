//! `disk-stall`: the node's disk makes no progress until the fault ends. The node's copies
//! fall behind: the budget counts it as down. A degradation the storage health manager must
//! answer by restarting the broker.

use crate::faults::{
    heal_disks_unless_held, Draw, Drawn, Effect, FaultKindModule, Resolved, Shape, TargetForm,
};
use crate::scenario_file::FaultAction;
use crate::world::World;

pub struct DiskStall;

impl FaultKindModule for DiskStall {
    fn name(&self) -> &'static str {
        "disk-stall"
    }

    fn shape(&self) -> Shape {
        Shape::lasting(TargetForm::Node)
    }

    fn draw(&self, draw: &mut Draw<'_>) -> Drawn {
        Drawn::at(draw.server())
    }

    fn degrades_broker(&self, _action: &FaultAction) -> bool {
        true
    }

    fn fire(&self, world: &World, _action: &FaultAction, resolved: &Resolved) -> Effect {
        let targets = resolved.targets.clone();
        targets.iter().for_each(|name| world.stall_disk(name));
        Effect {
            disks_held: targets.clone(),
            found_no_target: targets.is_empty(),
            heal: Some(heal_disks_unless_held(targets)),
            ..Effect::default()
        }
    }
}
