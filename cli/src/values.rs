//! clap value parsers for the names both tools take, so `--help` lists them and a typo is a usage error
//! (exit 2) instead of a "cannot test" (exit 125, which `git bisect run` takes as skip).

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use kreloc_oracle::ProfileId;

/// A loader profile: the catalogue's names, or `linux-x86_64@VERSION`, parsed to its id.
#[derive(Clone, Copy, Debug, Default)]
pub struct Profile;

impl TypedValueParser for Profile {
    type Value = ProfileId;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<ProfileId, clap::Error> {
        let name = value.to_str().ok_or_else(|| clap::Error::new(clap::error::ErrorKind::InvalidUtf8).with_cmd(cmd))?;
        name.parse().map_err(|e| {
            let arg = arg.map_or_else(|| "--profile".to_string(), |a| a.to_string());
            clap::Error::raw(
                clap::error::ErrorKind::ValueValidation,
                format!("invalid value '{name}' for '{arg}': {e}\n"),
            )
            .with_cmd(cmd)
        })
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(ProfileId::catalogue().into_iter().map(|id| PossibleValue::new(id.to_string()))))
    }
}

/// A named compile config (kernel-2018, small-nopic, ...).
pub fn config_name() -> PossibleValuesParser {
    PossibleValuesParser::new(kreloc_toolchains::config::NAMED.iter().map(|n| PossibleValue::new(n.name)))
}

/// A placement loader name (`kreloc place --loader`), parsed to the loader.
pub fn loader() -> impl TypedValueParser<Value = kreloc_placement::Loader> {
    PossibleValuesParser::new(kreloc_placement::Loader::ALL.map(|l| PossibleValue::new(l.name())))
        .try_map(|name| kreloc_placement::Loader::parse(&name).ok_or("not a loader"))
}
