//! `lose-zone`: every node of the zone crashes at once; they restart when the fault ends.

use crate::faults::{Draw, Drawn, Effect, FaultKindModule, Heal, Resolved, Shape, TargetForm};
use crate::scenario_file::FaultAction;
use crate::world::World;

pub struct LoseZone;

impl FaultKindModule for LoseZone {
    fn name(&self) -> &'static str {
        "lose-zone"
    }

    fn shape(&self) -> Shape {
        Shape::lasting(TargetForm::Zone)
    }

    fn draw(&self, draw: &mut Draw<'_>) -> Drawn {
        Drawn::at(draw.zone())
    }

    fn fire(&self, world: &World, _action: &FaultAction, resolved: &Resolved) -> Effect {
        let Some(zone) = resolved.zone.clone() else {
            return Effect::nothing();
        };
        let nodes = world.nodes_in_zone(&zone);
        world.lose_zone(&zone);
        Effect {
            silenced: nodes.clone(),
            held_down: nodes,
            heal: Some(Heal::new(move |world, held| world.restore_zone(&zone, held))),
            ..Effect::default()
        }
    }
}
