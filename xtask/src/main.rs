#[path = "../../build.rs"]
mod codegen;
fn main() {
    let s = codegen::generate(std::path::Path::new("openapi/passage-management.yaml")).unwrap();
    std::fs::write("generated/passage_api.rs", s).unwrap();
}
