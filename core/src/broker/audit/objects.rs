//! The object-store audit's rule, pure: does a remote segment's object hold exactly the
//! committed batches its tier record says it holds?

/// What the audit concludes about one segment object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectVerdict {
    Intact {
        batches: u32,
    },
    /// The evidence, in words.
    Corrupt(String),
}

/// Judges `object` (a tiered segment's bytes) against its record, `base_offset..=last_offset`:
/// whole batches, each passing its own CRC, contiguous from the base to the last offset, and
/// nothing after them. When the leader still holds the range locally, `local_copy` is those
/// batches as it stores them, and the object must be byte-identical to it.
pub fn judge_segment_object(
    object: &[u8],
    base_offset: u64,
    last_offset: u64,
    local_copy: Option<&[u8]>,
) -> ObjectVerdict {
    let mut position = 0;
    let mut next_offset = base_offset;
    let mut batches = 0u32;
    while position < object.len() {
        let batch = match crate::broker::log::RecordBatch::decode_prefix(&object[position..]) {
            Ok((batch, size)) => {
                position += size;
                batch
            }
            Err(error) => {
                return ObjectVerdict::Corrupt(format!(
                    "the batch at byte {position} (offset {next_offset}) does not decode: {error}"
                ))
            }
        };
        if batch.base_offset != next_offset {
            return ObjectVerdict::Corrupt(format!(
                "the batch at byte {position} starts at offset {}, expected {next_offset}",
                batch.base_offset
            ));
        }
        next_offset = batch.next_offset();
        batches += 1;
    }
    if next_offset != last_offset + 1 {
        return ObjectVerdict::Corrupt(format!(
            "the object ends at offset {}, its record says {last_offset}",
            next_offset.saturating_sub(1)
        ));
    }
    if let Some(local) = local_copy {
        if local != object {
            let at = local
                .iter()
                .zip(object)
                .position(|(a, b)| a != b)
                .unwrap_or(local.len().min(object.len()));
            return ObjectVerdict::Corrupt(format!(
                "the object differs from the leader's local copy at byte {at}"
            ));
        }
    }
    ObjectVerdict::Intact { batches }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::broker::log::{ProducerInfo, Record, RecordBatch};

    fn segment(base_offset: u64, batches: u64) -> Vec<u8> {
        (0..batches)
            .flat_map(|n| {
                RecordBatch {
                    base_offset: base_offset + 2 * n,
                    leader_epoch: 1,
                    producer: ProducerInfo::NONE,
                    create_timestamp_ms: 7,
                    records: vec![
                        Record::value_only(Bytes::from_static(b"a")),
                        Record::value_only(Bytes::from_static(b"b")),
                    ],
                }
                .encode()
            })
            .collect()
    }

    #[test]
    fn an_intact_object_passes_with_or_without_a_local_copy() {
        let object = segment(10, 3);
        assert_eq!(
            judge_segment_object(&object, 10, 15, None),
            ObjectVerdict::Intact { batches: 3 }
        );
        assert_eq!(
            judge_segment_object(&object, 10, 15, Some(&object)),
            ObjectVerdict::Intact { batches: 3 }
        );
    }

    #[test]
    fn any_inverted_byte_is_found() {
        let object = segment(10, 3);
        for byte in 0..object.len() {
            let mut corrupt = object.clone();
            corrupt[byte] = !corrupt[byte];
            assert!(
                matches!(
                    judge_segment_object(&corrupt, 10, 15, None),
                    ObjectVerdict::Corrupt(_)
                ),
                "byte {byte}"
            );
        }
    }

    #[test]
    fn an_object_holding_other_offsets_is_corrupt() {
        let object = segment(10, 3);
        assert!(matches!(
            judge_segment_object(&object, 10, 17, None),
            ObjectVerdict::Corrupt(_)
        ));
        assert!(matches!(
            judge_segment_object(&object, 8, 15, None),
            ObjectVerdict::Corrupt(_)
        ));
        let other = segment(10, 2);
        assert!(matches!(
            judge_segment_object(&object, 10, 15, Some(&other)),
            ObjectVerdict::Corrupt(_)
        ));
    }
}
