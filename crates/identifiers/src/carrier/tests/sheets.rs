use super::{attr, check_xml};
use crate::carrier::*;
use crate::handle::Handle;

/// The error of a call that must fail, without printing pages when it does not.
fn err(r: Result<Vec<String>, CarrierError>) -> CarrierError {
    match r {
        Ok(pages) => panic!("{} pages where an error was expected", pages.len()),
        Err(e) => e,
    }
}

fn label(i: usize) -> Label {
    let h = Handle::new("88.101.5", &format!("零件-{i:04}")).unwrap();
    let carrier = Carrier::handle_url(Symbology::Qr, "https://iir.example.cn", &h).unwrap();
    Label::new(
        carrier,
        [h.to_string(), format!("轴承 <6204-2RS> & Co #{i}")],
    )
}

#[test]
fn labels_fill_a4_pages_of_avery_l7159() {
    let layout = SheetLayout::default();
    assert_eq!(layout, SheetLayout::avery_l7159());
    assert_eq!(layout.per_page(), 24);
    layout.validate().unwrap();
    let labels: Vec<Label> = (0..50).map(label).collect();
    let pages = label_sheets(&layout, &labels).unwrap();
    assert_eq!(pages.len(), 3);
    for (page, n) in pages.iter().zip([24, 24, 2]) {
        let counts = check_xml(page);
        assert_eq!(counts.get("path"), Some(&n));
        assert_eq!(counts.get("text"), Some(&(2 * n)));
        assert_eq!(attr(page, "svg", "width"), "210mm");
        assert_eq!(attr(page, "svg", "height"), "297mm");
        assert_eq!(attr(page, "svg", "viewBox"), "0 0 210 297");
        let fonts = attr(page, "g", "font-family");
        assert!(fonts.contains("'Noto Sans CJK SC'") && fonts.contains("'Source Han Sans SC'"));
        assert!(fonts.ends_with("sans-serif"));
    }
    // Text is escaped, Chinese kept; the third page starts with label 48.
    assert!(pages[2].contains(">88.101.5/零件-0048</text>"));
    assert!(pages[2].contains(">轴承 &lt;6204-2RS&gt; &amp; Co #49</text>"));
    // The first label's code sits inside its label: 7.2 + 2 mm padding from the left.
    assert!(
        pages[0].contains("<path transform=\"translate(9.2 "),
        "{}",
        &pages[0][..600]
    );
    assert!(label_sheets(&layout, &[]).unwrap().is_empty());
}

#[test]
fn labels_stay_inside_their_cells() {
    // Each code's square (translate + scale × modules) and text start lie in the cell.
    let layout = SheetLayout {
        outline: Outline::Hairline,
        ..SheetLayout::default()
    };
    let labels: Vec<Label> = (0..24).map(label).collect();
    let page = &label_sheets(&layout, &labels).unwrap()[0];
    assert_eq!(check_xml(page).get("rect"), Some(&25)); // the page and 24 outlines
    let symbol = labels[23].carrier.encode().unwrap();
    let modules = (symbol.width() + 8) as f64;
    let last = page.rfind("<path transform=\"translate(").unwrap();
    let t = &page[last + 27..];
    let nums: Vec<f64> = t[..t.find(')').unwrap()]
        .split(' ')
        .map(|v| v.parse().unwrap())
        .collect();
    let s = &t[t.find("scale(").unwrap() + 6..];
    let scale: f64 = s[..s.find(')').unwrap()].parse().unwrap();
    // Column 3, row 8 of L7159.
    let (x0, y0) = (7.2 + 2.0 * 66.0, 12.9 + 7.0 * 33.9);
    assert!(
        nums[0] >= x0 + 2.0 - 1e-3 && nums[1] >= y0 + 2.0 - 1e-3,
        "{nums:?}"
    );
    assert!(nums[0] + scale * modules <= x0 + 63.5 - 2.0 + 1e-2);
    assert!(nums[1] + scale * modules <= y0 + 33.9 - 2.0 + 1e-2);
    assert!(scale >= 0.25);
}

#[test]
fn long_lines_shrink_then_are_cut_short() {
    let h = Handle::parse("88.101.5/x").unwrap();
    let c = Carrier::handle_url(Symbology::DataMatrix, "https://id.cn", &h).unwrap();
    let long = "标识".repeat(100);
    let pages = label_sheets(
        &SheetLayout::default(),
        &[Label::new(c.clone(), [long.as_str(), "", "short"])],
    )
    .unwrap();
    let counts = check_xml(&pages[0]);
    assert_eq!(counts.get("text"), Some(&2), "the empty line is dropped");
    assert!(pages[0].contains("…</text>"));
    assert!(!pages[0].contains(&long));
    let too_long = "x".repeat(MAX_TEXT_CHARS + 1);
    let e = err(label_sheets(
        &SheetLayout::default(),
        &[Label::new(c, [too_long])],
    ));
    assert_eq!(e.code(), "carrier_text_length");
}

#[test]
fn tall_labels_put_the_text_under_the_code() {
    let layout = SheetLayout {
        columns: 4,
        rows: 5,
        label_mm: (45.0, 50.0),
        margin_mm: (10.0, 20.0),
        gap_mm: (2.0, 2.0),
        ..SheetLayout::default()
    };
    layout.validate().unwrap();
    let labels: Vec<Label> = (0..3).map(label).collect();
    let page = &label_sheets(&layout, &labels).unwrap()[0];
    check_xml(page);
    assert!(page.contains("text-anchor=\"middle\""));
    assert!(!page.contains("text-anchor=\"start\""));
}

#[test]
fn bad_layouts_and_labels_are_refused_with_their_index() {
    let ok = SheetLayout::default();
    let bad_layouts = [
        SheetLayout {
            columns: 0,
            ..ok.clone()
        },
        SheetLayout {
            rows: 101,
            ..ok.clone()
        },
        SheetLayout {
            columns: 4,
            ..ok.clone()
        },
        SheetLayout {
            label_mm: (f64::NAN, 10.0),
            ..ok.clone()
        },
        SheetLayout {
            gap_mm: (-1.0, 0.0),
            ..ok.clone()
        },
        SheetLayout {
            padding_mm: 20.0,
            ..ok.clone()
        },
        SheetLayout {
            page_mm: (f64::INFINITY, 297.0),
            ..ok.clone()
        },
        SheetLayout {
            min_module_mm: 0.0,
            ..ok.clone()
        },
    ];
    for layout in bad_layouts {
        let e = err(label_sheets(&layout, &[label(0)]));
        assert_eq!(e.code(), "carrier_layout", "{layout:?}: {e}");
    }
    let mut labels: Vec<Label> = (0..30).map(label).collect();
    labels[27].lines.push("3".into());
    labels[27].lines.push("4".into());
    let e = err(label_sheets(&ok, &labels));
    assert!(matches!(e, CarrierError::Label { index: 27, .. }), "{e}");
    assert_eq!(e.code(), "carrier_layout");
    // A code too dense for the label: modules would be under 0.25 mm.
    labels[27] = Label::new(Carrier::new(Symbology::Qr, "7".repeat(3000)), ["x"]);
    let e = err(label_sheets(&ok, &labels));
    assert!(matches!(e, CarrierError::Label { index: 27, .. }), "{e}");
    assert!(e.to_string().contains("below the minimum"), "{e}");
    labels[27] = Label::new(Carrier::new(Symbology::Qr, ""), ["x"]);
    let e = err(label_sheets(&ok, &labels));
    assert_eq!(e.code(), "carrier_payload_empty");
    let many = vec![label(0); MAX_LABELS + 1];
    assert_eq!(err(label_sheets(&ok, &many)).code(), "carrier_layout");
}
