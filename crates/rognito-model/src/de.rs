//! Deserialization of model structures. Generated structures implement [`ModelStruct`] instead
//! of deriving `Deserialize`, because serde's derive also accepts a JSON array for a struct
//! (fields by position), which AWS rejects. Unknown members are skipped, as AWS JSON services
//! accept members from newer clients.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserializer;
use serde::de::{DeserializeSeed, Error, MapAccess, Visitor};

pub trait ModelStruct: Default + Sized {
    const NAME: &'static str;
    /// Wire names of the members, in model order.
    const FIELDS: &'static [&'static str];

    /// Reads the value of member `field` (an index into `FIELDS`, or `usize::MAX` for a member
    /// the model does not have) from `map`.
    fn read_field<'de, M: MapAccess<'de>>(
        &mut self,
        field: usize,
        map: &mut M,
    ) -> Result<(), M::Error>;
}

pub fn deserialize_struct<'de, T: ModelStruct, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<T, D::Error> {
    deserializer.deserialize_map(StructVisitor(PhantomData))
}

struct StructVisitor<T>(PhantomData<T>);

impl<'de, T: ModelStruct> Visitor<'de> for StructVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "struct {}", T::NAME)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut out = T::default();
        while let Some(field) = map.next_key_seed(FieldSeed(T::FIELDS))? {
            out.read_field(field, &mut map)?;
        }
        Ok(out)
    }
}

/// Maps a member name to its index in `FIELDS` without allocating.
struct FieldSeed(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for FieldSeed {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl Visitor<'_> for FieldSeed {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E: Error>(self, name: &str) -> Result<usize, E> {
        Ok(self.0.iter().position(|f| *f == name).unwrap_or(usize::MAX))
    }
}
