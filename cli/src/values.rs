//! clap value parsers for the names both tools take, so `--help` lists them and a typo is a usage error
//! (exit 2) instead of a "cannot test" (exit 125, which `git bisect run` takes as skip).

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};

/// A loader profile name: the catalogue's names, or `linux-x86_64@VERSION`.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProfileName;

impl TypedValueParser for ProfileName {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        let name = value.to_str().ok_or_else(|| clap::Error::new(clap::error::ErrorKind::InvalidUtf8).with_cmd(cmd))?;
        match kreloc_oracle::parse_profile(name) {
            Ok(_) => Ok(name.to_string()),
            Err(e) => {
                let arg = arg.map_or_else(|| "--profile".to_string(), |a| a.to_string());
                Err(clap::Error::raw(
                    clap::error::ErrorKind::ValueValidation,
                    format!("invalid value '{name}' for '{arg}': {e}\n"),
                )
                .with_cmd(cmd))
            }
        }
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(kreloc_oracle::profile::catalogue().into_iter().map(|(name, _)| PossibleValue::new(name))))
    }
}

/// A named compile config (kernel-2018, small-nopic, ...).
pub fn config_name() -> PossibleValuesParser {
    PossibleValuesParser::new(kreloc_toolchains::config::NAMED.iter().map(|n| PossibleValue::new(n.name)))
}
