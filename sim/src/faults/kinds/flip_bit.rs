//! `flip-bit`: one bit of a committed batch in a segment file of a partition the broker
//! follows is silently flipped (at one instant). Drawn at random, it holds the budget until
//! the damaged copy can have been repaired (`schedule.rs`), so two healthy copies stay up.

use crate::faults::{Corruption, Draw, Drawn, Effect, FaultKindModule, Resolved, Shape, TargetForm};
use crate::scenario_file::FaultAction;
use crate::world::World;

pub struct FlipBit;

impl FaultKindModule for FlipBit {
    fn name(&self) -> &'static str {
        "flip-bit"
    }

    fn shape(&self) -> Shape {
        Shape {
            target: TargetForm::Broker {
                why: "only a broker holds partition logs (\"broker-N\" or \"random-broker\")",
            },
            far_end: false,
            instantaneous: true,
            corrupts_data: true,
            not_drawn: None,
        }
    }

    fn draw(&self, draw: &mut Draw<'_>) -> Drawn {
        Drawn::at(draw.broker())
    }

    fn fire(&self, world: &World, _action: &FaultAction, resolved: &Resolved) -> Effect {
        let flipped = resolved
            .targets
            .first()
            .filter(|name| !world.is_down(name))
            .and_then(|name| world.flip_committed_bit(name));
        match &flipped {
            Some(flip) => world.note(format!(
                "bit {} of {} flipped on broker-{} (batch at offset {} of {}-{})",
                flip.bit_index, flip.file, flip.broker, flip.batch_base_offset, flip.topic, flip.partition
            )),
            None => world.note("bit flip found no committed batch of a followed partition".to_string()),
        }
        Effect {
            corruption: Some(Corruption::BitFlipped(flipped)),
            ..Effect::default()
        }
    }
}
