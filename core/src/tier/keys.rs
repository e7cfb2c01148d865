//! Where tiered data lives: object keys in the store, and which tier-metadata partition
//! holds a partition's records.

/// Every object of a partition is under this prefix (the orphan collector lists it).
pub fn partition_prefix(topic: &str, partition: u32) -> String {
    format!("tier/{topic}/{partition}/")
}

/// The key of a tiered segment's data: the segment file's bytes as they were on disk.
pub fn segment_key(topic: &str, partition: u32, object_id: &str) -> String {
    format!("{}{object_id}.log", partition_prefix(topic, partition))
}

/// The key of a tiered segment's offset index (see `segment_index.rs`).
pub fn index_key(topic: &str, partition: u32, object_id: &str) -> String {
    format!("{}{object_id}.index", partition_prefix(topic, partition))
}

/// The object id a key belongs to, if it is a tiered segment or index key of the partition.
pub fn object_id_of_key<'a>(topic: &str, partition: u32, key: &'a str) -> Option<&'a str> {
    let rest = key.strip_prefix(&partition_prefix(topic, partition))?;
    rest.strip_suffix(".log").or_else(|| rest.strip_suffix(".index"))
}

/// The tier-metadata partition that holds the records of `topic`-`partition`.
pub fn tier_partition_for(topic: &str, partition: u32, tier_partition_count: u32) -> u32 {
    let hash = crc32fast::hash(format!("{topic}-{partition}").as_bytes());
    hash % tier_partition_count.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_to_their_object_id() {
        let segment = segment_key("orders", 3, "00000000000000ff-7");
        let index = index_key("orders", 3, "00000000000000ff-7");
        assert_eq!(segment, "tier/orders/3/00000000000000ff-7.log");
        assert_eq!(
            object_id_of_key("orders", 3, &segment),
            Some("00000000000000ff-7")
        );
        assert_eq!(object_id_of_key("orders", 3, &index), Some("00000000000000ff-7"));
        assert_eq!(object_id_of_key("orders", 4, &segment), None);
        assert_eq!(object_id_of_key("orders", 3, "tier/orders/3/stray"), None);
    }

    #[test]
    fn tier_partition_is_stable_and_in_range() {
        for partition in 0..50 {
            let tier_partition = tier_partition_for("orders", partition, 3);
            assert!(tier_partition < 3);
            assert_eq!(tier_partition, tier_partition_for("orders", partition, 3));
        }
    }
}
