//! What the examples run against: the Passage deployment named by the environment
//! (`PASSAGE_APP_ID`, `PASSAGE_API_KEY`, optional `PASSAGE_API_BASE_URL` and
//! `PASSAGE_AUTH_BASE_URL`), or else an embedded emulator on 127.0.0.1.
#![allow(dead_code)] // Each example uses a part.

use passage_identity::emulator::Emulator;
use passage_identity::{Passage, PassageBuilder};

/// A configured builder and, when running locally, the emulator behind it.
pub struct Target {
    pub builder: PassageBuilder,
    pub emulator: Option<Emulator>,
}

impl Target {
    pub async fn from_env_or_emulator() -> Result<Target, Box<dyn std::error::Error>> {
        if std::env::var_os("PASSAGE_APP_ID").is_some() {
            let builder = PassageBuilder::from_env()?;
            println!("Using the Passage app from PASSAGE_APP_ID");
            return Ok(Target {
                builder,
                emulator: None,
            });
        }
        let emulator = Emulator::start().await?;
        println!(
            "No PASSAGE_APP_ID set: started the embedded Passage emulator at {}",
            emulator.auth_base_url()
        );
        Ok(Target {
            builder: emulator.passage_builder(),
            emulator: Some(emulator),
        })
    }

    /// The client with default settings.
    pub fn passage(&self) -> Result<Passage, passage_identity::ConfigError> {
        self.builder.clone().build()
    }
}
