//! Word lists of our own (not `patterns/`): names of people in Albanian, Serbian Latin and
//! Cyrillic, and foreign/diaspora names that name lists often lack; places, faiths,
//! communities; and label vocabularies that sit under a `name` header without naming anyone.

pub const ALB_FIRST: &[&str] = &[
    "Agron", "Albulena", "Ardita", "Besart", "Blerta", "Dardan", "Donjeta", "Drilon", "Egzona",
    "Fatlind", "Flaka", "Gëzim", "Hana", "Ilir", "Jehona", "Kaltrina", "Labinot", "Liridona",
    "Mimoza", "Njomza", "Petrit", "Qëndresa", "Rinor", "Shqipe", "Trim", "Valon", "Vjosa",
    "Xhevdet", "Yllka", "Zana", "Arbër", "Lumbardha", "Fisnik", "Teuta", "Shpend", "Erëza",
];

pub const ALB_LAST: &[&str] = &[
    "Hoxha", "Gashi", "Kelmendi", "Rexhepi", "Bytyqi", "Shala", "Morina", "Thaçi", "Zeqiri",
    "Haliti", "Mustafa", "Sylejmani", "Hasani", "Osmani", "Ibrahimi", "Avdiu", "Kryeziu",
    "Berisha", "Dreshaj", "Lleshi", "Mehmeti", "Qerimi", "Rama", "Sahiti", "Tahiri", "Uka",
    "Vitia", "Xhemajli", "Ymeri", "Zymberi",
];

pub const SRB_FIRST: &[&str] = &[
    "Dragan", "Milica", "Nenad", "Jelena", "Stefan", "Snežana", "Miloš", "Dušica", "Đorđe",
    "Ljiljana", "Nikola", "Zorica", "Aleksandar", "Vesna", "Bojan", "Tijana", "Žarko", "Gordana",
];

pub const SRB_LAST: &[&str] = &[
    "Jovanović", "Petrović", "Nikolić", "Stojanović", "Đorđević", "Ilić", "Marković", "Pavlović",
    "Savić", "Todorović", "Kostić", "Živković", "Mitić", "Ristić", "Lazić", "Vučković",
];

pub const SRB_CYR_FIRST: &[&str] = &[
    "Драган", "Милица", "Ненад", "Јелена", "Стефан", "Снежана", "Милош", "Душица", "Ђорђе",
    "Љиљана", "Никола", "Зорица", "Бојан", "Тијана",
];

pub const SRB_CYR_LAST: &[&str] = &[
    "Јовановић", "Петровић", "Николић", "Стојановић", "Ђорђевић", "Илић", "Марковић",
    "Павловић", "Савић", "Тодоровић", "Костић", "Живковић",
];

/// Diaspora and foreign names (German, Turkish, English, Swiss, Swedish): common in Kosovo
/// data, rare in name lists.
pub const FOREIGN_FIRST: &[&str] = &[
    "Jürgen", "Annegret", "Wolfgang", "Sabine", "Mehmet", "Ayşe", "Emre", "Zeynep", "Oliver",
    "Charlotte", "Harrison", "Gwendolyn", "Björn", "Ingrid", "Reto", "Ursula", "Kenan", "Elif",
];

pub const FOREIGN_LAST: &[&str] = &[
    "Schneider", "Hofmann", "Baumgartner", "Yılmaz", "Öztürk", "Çelik", "Kaya", "Whitfield",
    "Thornton", "Ashworth", "Lindqvist", "Bergström", "Müller", "Zimmermann", "Doğan",
];

pub const MUNI_SQ: &[&str] = &[
    "Prishtinë", "Prizren", "Pejë", "Gjakovë", "Ferizaj", "Gjilan", "Mitrovicë", "Podujevë",
    "Vushtrri", "Suharekë", "Rahovec", "Drenas", "Lipjan", "Malishevë", "Kamenicë", "Viti",
    "Deçan", "Istog", "Klinë", "Skenderaj", "Dragash", "Fushë Kosovë", "Obiliq", "Shtime",
];

pub const MUNI_SR: &[&str] = &[
    "Priština", "Prizren", "Peć", "Đakovica", "Uroševac", "Gnjilane", "Mitrovica", "Gračanica",
    "Štrpce", "Zvečan", "Leposavić", "Zubin Potok", "Novo Brdo", "Klokot", "Ranilug", "Parteš",
];

pub const MUNI_CYR: &[&str] = &[
    "Приштина", "Призрен", "Пећ", "Грачаница", "Штрпце", "Звечан", "Лепосавић", "Зубин Поток",
    "Ново Брдо", "Гњилане",
];

pub const RELIGION_SQ: &[&str] = &["Islame", "Katolike", "Ortodokse", "Protestante", "Pa fe"];
pub const RELIGION_SR: &[&str] = &["pravoslavna", "islamska", "katolička", "ateista"];
pub const RELIGION_CYR: &[&str] = &["православна", "исламска", "католичка"];

pub const ETHNIC_SQ: &[&str] = &[
    "Shqiptar", "Serb", "Boshnjak", "Turk", "Rom", "Ashkali", "Egjiptian", "Goran",
];
pub const ETHNIC_SR: &[&str] = &["Srbin", "Albanac", "Bošnjak", "Goranac", "Rom", "Turčin"];

pub const STREET_SQ: &[&str] = &[
    "Rr. Agim Ramadani", "Rruga Luan Haradinaj", "Rr. Fehmi Agani", "Rruga e Dëshmorëve",
    "Bulevardi Bill Clinton", "Rr. Ismail Qemali", "Rruga Garibaldi",
];
pub const STREET_SR: &[&str] = &[
    "Ulica Kralja Petra", "Ulica Vidovdanska", "Ul. Kneza Miloša", "Bulevar Oslobođenja",
];
pub const STREET_CYR: &[&str] = &["улица Краља Петра", "улица Видовданска", "Булевар ослобођења"];

/// Label vocabularies that a `name` header does not make into names of people.
pub const GENRES: &[&str] = &[
    "Action", "Animation", "Comedy", "Documentary", "Drama", "Family", "Horror", "Music",
    "Sci-Fi", "Sports", "Travel", "Classics", "Thriller", "Western",
];
pub const PRODUCTS: &[&str] = &[
    "Qumësht 1L", "Bukë e bardhë", "Vaj ulliri 0.5L", "Kafe turke 100g", "Sheqer 1kg",
    "Detergjent 3L", "Djathë i bardhë", "Ujë mineral 1.5L", "Pelena nr. 4", "Miell tip 500",
];
pub const DEPARTMENTS: &[&str] = &[
    "Financat", "Burimet Njerëzore", "Prokurimi", "Teknologjia Informative", "Shërbimi Ligjor",
    "Arkivi", "Logjistika", "Marrëdhëniet me Publikun",
];
pub const LANGUAGES: &[&str] = &[
    "English", "Italian", "Japanese", "Mandarin", "French", "German", "Albanian", "Serbian",
    "Turkish", "Bosnian",
];
pub const STATUSES: &[&str] = &["hapur", "mbyllur", "në pritje", "anuluar", "dërguar"];
pub const TARIFFS: &[&str] = &["T1 ditore", "T2 natë", "Komerciale", "Shtëpiake", "Industriale"];
