//! `isolate`: the node keeps running but cannot reach or be reached by any other node.

use crate::faults::{Draw, Drawn, Effect, FaultKindModule, Heal, Resolved, Shape, TargetForm};
use crate::scenario_file::FaultAction;
use crate::world::World;

pub struct Isolate;

impl FaultKindModule for Isolate {
    fn name(&self) -> &'static str {
        "isolate"
    }

    fn shape(&self) -> Shape {
        Shape::lasting(TargetForm::Node)
    }

    fn draw(&self, draw: &mut Draw<'_>) -> Drawn {
        Drawn::at(draw.server())
    }

    fn cuts_off(&self) -> bool {
        true
    }

    fn fire(&self, world: &World, _action: &FaultAction, resolved: &Resolved) -> Effect {
        let targets = &resolved.targets;
        let cut = match targets.as_slice() {
            [name] => world.isolate_node(name),
            // Isolating several nodes cuts each from everyone (they cannot reach each other
            // either), as one cut.
            _ => {
                let names: Vec<&str> = targets.iter().map(String::as_str).collect();
                let everyone = world.node_names();
                let everyone: Vec<&str> = everyone.iter().map(String::as_str).collect();
                world.partition(&names, &everyone, false)
            }
        };
        Effect {
            silenced: targets.clone(),
            found_no_target: cut.links.is_empty(),
            heal: Some(Heal::new(move |world, _| world.reconnect(&cut))),
            ..Effect::default()
        }
    }
}
