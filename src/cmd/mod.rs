//! The commands besides `build`: each is a short program over the stages
//! (`build` itself is the pipeline, [`crate::build`]). `cli` is the command
//! line they are reached from; `check`, `report` and `serve` read a planet
//! without changing it (serve rebuilds it on every change); `init`, `add`,
//! `import`, `opml` and `fix_moved` write planet.yaml, all through
//! [`planet_edit`], which changes the file as text (comments and layout
//! kept) and never writes one planetoid would reject.

pub mod add;
pub mod check;
pub mod cli;
pub mod fix_moved;
pub mod import;
pub mod init;
pub mod opml;
pub mod planet_edit;
pub mod report;
pub mod serve;
