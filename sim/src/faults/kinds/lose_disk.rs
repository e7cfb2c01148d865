//! `lose-disk`: the broker crashes and its whole disk is lost; it restarts, empty, when the
//! fault ends, and must be rebuilt from its replicas and the tier.

use crate::faults::{restart_unless_held, Draw, Drawn, Effect, FaultKindModule, Resolved, Shape, TargetForm};
use crate::scenario_file::FaultAction;
use crate::world::World;

pub struct LoseDisk;

impl FaultKindModule for LoseDisk {
    fn name(&self) -> &'static str {
        "lose-disk"
    }

    fn shape(&self) -> Shape {
        Shape::lasting(TargetForm::Broker {
            why: "only a broker can be rebuilt from its replicas (Raft assumes a controller keeps its log and vote); use `kill` for a controller",
        })
    }

    fn draw(&self, draw: &mut Draw<'_>) -> Drawn {
        Drawn::at(draw.broker())
    }

    /// A node already down loses its disk too: it comes back empty whoever restarts it.
    fn fire(&self, world: &World, _action: &FaultAction, resolved: &Resolved) -> Effect {
        let targets = resolved.targets.clone();
        targets.iter().for_each(|name| world.lose_disk(name));
        Effect {
            silenced: targets.clone(),
            held_down: targets.clone(),
            found_no_target: targets.is_empty(),
            heal: Some(restart_unless_held(targets)),
            ..Effect::default()
        }
    }
}
