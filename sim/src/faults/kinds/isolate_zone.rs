//! `isolate-zone`: the zone's nodes keep running but cannot reach or be reached from outside
//! the zone.

use crate::faults::{Draw, Drawn, Effect, FaultKindModule, Heal, Resolved, Shape, TargetForm};
use crate::scenario_file::FaultAction;
use crate::world::World;

pub struct IsolateZone;

impl FaultKindModule for IsolateZone {
    fn name(&self) -> &'static str {
        "isolate-zone"
    }

    fn shape(&self) -> Shape {
        Shape::lasting(TargetForm::Zone)
    }

    fn draw(&self, draw: &mut Draw<'_>) -> Drawn {
        Drawn::at(draw.zone())
    }

    fn cuts_off(&self) -> bool {
        true
    }

    fn fire(&self, world: &World, _action: &FaultAction, resolved: &Resolved) -> Effect {
        let Some(zone) = resolved.zone.clone() else {
            return Effect::nothing();
        };
        let nodes = world.nodes_in_zone(&zone);
        let cut = world.isolate_zone(&zone);
        Effect {
            silenced: nodes,
            found_no_target: cut.links.is_empty(),
            heal: Some(Heal::new(move |world, _| world.reconnect(&cut))),
            ..Effect::default()
        }
    }
}
