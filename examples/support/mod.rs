//! What the examples run against: the Passage deployment named by the environment
//! (`PASSAGE_APP_ID`, `PASSAGE_API_KEY`, optional `PASSAGE_API_BASE_URL` and
//! `PASSAGE_AUTH_BASE_URL`), or else an embedded emulator on 127.0.0.1.

use passage_identity::emulator::Emulator;
use passage_identity::{Passage, PassageBuilder};

/// A `Passage` client and, when running locally, the emulator behind it.
pub struct Target {
    pub passage: Passage,
    pub emulator: Option<Emulator>,
}

impl Target {
    pub async fn from_env_or_emulator() -> Result<Target, Box<dyn std::error::Error>> {
        if std::env::var_os("PASSAGE_APP_ID").is_some() {
            let passage = PassageBuilder::from_env()?.build()?;
            println!(
                "Using the Passage app {} at {}",
                passage.app_id(),
                passage.api_base_url()
            );
            return Ok(Target {
                passage,
                emulator: None,
            });
        }
        let emulator = Emulator::start().await?;
        println!(
            "No PASSAGE_APP_ID set: started the embedded Passage emulator at {}",
            emulator.auth_base_url()
        );
        Ok(Target {
            passage: emulator.passage().clone(),
            emulator: Some(emulator),
        })
    }
}
