#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let text = std::fs::read_to_string(path).unwrap();
    for _ in 0..3 {
        let t = std::time::Instant::now();
        let p = wfc_compiler::syntax::parse(wfc_compiler::FileId(0), &text);
        let a = t.elapsed();
        let t = std::time::Instant::now();
        let (l, _d) = wfc_compiler::lower::lower_file(
            wfc_compiler::FileId(0),
            p.root.as_ref(),
            false,
            text.len(),
        );
        let b = t.elapsed();
        println!("parse {:?} lower {:?}", a, b);
        std::mem::forget((p, l));
    }
}
