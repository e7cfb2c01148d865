//! `kill`: the node crashes (its unsynced writes are lost) and restarts when the fault ends.
//! It takes the node down: the budget counts it, and its sessions and leaderships must move.

use crate::faults::{restart_unless_held, Draw, Drawn, Effect, FaultKindModule, Resolved, Shape, TargetForm};
use crate::scenario_file::FaultAction;
use crate::world::World;

pub struct Kill;

impl FaultKindModule for Kill {
    fn name(&self) -> &'static str {
        "kill"
    }

    fn shape(&self) -> Shape {
        Shape::lasting(TargetForm::Node)
    }

    fn draw(&self, draw: &mut Draw<'_>) -> Drawn {
        Drawn::at(draw.server())
    }

    fn fire(&self, world: &World, _action: &FaultAction, resolved: &Resolved) -> Effect {
        // A node already down belongs to the fault that took it down.
        let targets: Vec<String> = resolved
            .targets
            .iter()
            .filter(|name| !world.is_down(name))
            .cloned()
            .collect();
        targets.iter().for_each(|name| world.kill(name));
        Effect {
            silenced: targets.clone(),
            held_down: targets.clone(),
            found_no_target: targets.is_empty(),
            heal: Some(restart_unless_held(targets)),
            ..Effect::default()
        }
    }
}
