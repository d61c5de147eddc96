package catalog

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"madaf/internal/apperr"
	"madaf/internal/calendar"
	"madaf/internal/database"
	"madaf/internal/money"
)

type demoItem struct {
	sku, name, unit string
	price           string // the typical unit price the suppliers' prices vary around
	capped          bool   // the item has a maximum price, 20% above the typical one
}

type demoTender struct {
	number, title, category, description string
	validFrom                            string
	validUntil                           string // "" for a tender ending within 60 days
	extendedUntil                        string
	rule                                 string
	fee                                  string
	confirmationDays                     int
	ceiling, allocation                  string
	suppliers                            []string // company numbers; in a single tender the first wins, the others stand by
	linkage                              string   // a date from which every price rose 2.5% by index linkage
	items                                []demoItem
}

// The nine shelf tenders open to the cluster's authorities at the end of 2024.
var demoTenders = []demoTender{
	{number: "01/2024", title: "ציוד רפואי ועזרה ראשונה", category: "ציוד רפואי",
		description: "אספקת ציוד רפואי, ערכות עזרה ראשונה ודפיברילטורים למוסדות חינוך, מבני ציבור ומוקדי חירום.",
		validFrom:   "2024-02-01", validUntil: "2027-03-31", rule: RuleChoice, fee: "2.00", confirmationDays: 3, ceiling: "1200000",
		suppliers: []string{"510000011", "515000107", "510000078"}, linkage: "2025-07-01",
		items: []demoItem{
			{"MED-001", "דפיברילטור אוטומטי (AED) לשימוש הציבור", "יחידה", "5900", true},
			{"MED-002", "ארון לדפיברילטור עם אזעקה וחימום", "יחידה", "1450", false},
			{"MED-003", "ערכת עזרה ראשונה לכיתה", "ערכה", "185", true},
			{"MED-004", "ערכת עזרה ראשונה לרכב", "ערכה", "120", false},
			{"MED-005", "מד לחץ דם דיגיטלי", "יחידה", "310", true},
			{"MED-006", "מד חום אינפרא-אדום ללא מגע", "יחידה", "95", false},
			{"MED-007", "אלונקה מתקפלת", "יחידה", "780", false},
			{"MED-008", "בובת החייאה לתרגול", "יחידה", "640", true},
			{"MED-009", "כפפות ניטריל (קופסה 100 יחידות)", "קופסה", "32", false},
			{"MED-010", "מסכות כירורגיות (קופסה 50 יחידות)", "קופסה", "18", false},
			{"MED-011", "מזרק אפינפרין אוטומטי", "יחידה", "390", true},
			{"MED-012", "עגלת החייאה מאובזרת", "יחידה", "8200", true},
		}},
	{number: "02/2024", title: "תשתיות מחשוב ותקשורת", category: "מחשוב",
		description: "מחשבים, ציוד תקשורת, שרתים ושירותי התקנה ותמיכה לרשויות האשכול.",
		validFrom:   "2024-03-01", validUntil: "2027-03-31", rule: RuleChoice, fee: "1.50", confirmationDays: 5,
		suppliers: []string{"510000029", "510000086", "515000206"},
		items: []demoItem{
			{"IT-001", "מחשב נייח למשרד (i5, 16GB, SSD 512GB)", "יחידה", "3450", true},
			{"IT-002", "מחשב נייד 14 אינץ' לעובדי רשות", "יחידה", "4200", true},
			{"IT-003", "מסך מחשב 27 אינץ' IPS", "יחידה", "890", false},
			{"IT-004", "מתג רשת מנוהל 24 פורטים PoE", "יחידה", "3900", true},
			{"IT-005", "נקודת גישה אלחוטית Wi-Fi 6", "יחידה", "1150", false},
			{"IT-006", "שרת מדף 1U עם שני מעבדים", "יחידה", "28500", true},
			{"IT-007", "אל-פסק (UPS) 3kVA לארון תקשורת", "יחידה", "5400", false},
			{"IT-008", "ארון תקשורת 42U", "יחידה", "4100", false},
			{"IT-009", "מדפסת לייזר משולבת A4", "יחידה", "1650", false},
			{"IT-010", "התקנת נקודת רשת כולל כבילה", "נקודה", "420", true},
			{"IT-011", "שעת טכנאי מחשוב בשטח", "שעה", "210", true},
		}},
	{number: "03/2024", title: "אבטחת מידע והגנת סייבר", category: "אבטחת מידע",
		description: "סקרי סיכונים, מבדקי חדירה, מוצרי הגנה ושירותי ניטור בהתאם להנחיות מערך הסייבר הלאומי.",
		validFrom:   "2024-04-01", validUntil: "2027-03-31", rule: RuleCompetition, fee: "2.50", confirmationDays: 5,
		suppliers: []string{"510000037", "510000086", "510000029"},
		items: []demoItem{
			{"SEC-001", "סקר סיכוני אבטחת מידע לרשות", "פרויקט", "38000", true},
			{"SEC-002", "מבדק חדירה לאתר ולשירותים המקוונים", "פרויקט", "24000", true},
			{"SEC-003", "חומת אש (Firewall) לרשות בינונית", "יחידה", "21000", false},
			{"SEC-004", "רישיון הגנת תחנות קצה (EDR) לשנה", "רישיון", "165", false},
			{"SEC-005", "שירותי מוקד ניטור (SOC)", "חודש", "9800", true},
			{"SEC-006", "הדרכת מודעות לאבטחת מידע לעובדים", "הדרכה", "3200", false},
			{"SEC-007", "שעת ייעוץ ממונה הגנת סייבר", "שעה", "380", true},
			{"SEC-008", "גיבוי מאובטח בענן לכל טרה-בייט", "חודש", "240", false},
			{"SEC-009", "תרגיל התמודדות עם מתקפת כופרה", "תרגיל", "14500", false},
		}},
	{number: "04/2024", title: "ציוד ומתקני גני משחקים", category: "גני משחקים",
		description: "אספקה והתקנה של מתקני משחק, משטחי בטיחות, הצללות וריהוט גן לפי תקן ישראלי 1498.",
		validFrom:   "2024-04-15", validUntil: "2027-03-31", rule: RuleRotation, fee: "2.00", confirmationDays: 7,
		ceiling: "4000000", allocation: "450000",
		suppliers: []string{"510000045", "515000305", "510000078"},
		items: []demoItem{
			{"PG-001", "מתקן משחק משולב לגילאי 2–5", "יחידה", "42000", true},
			{"PG-002", "מתקן משחק משולב לגילאי 6–12", "יחידה", "68000", true},
			{"PG-003", "נדנדה כפולה עם מושבי תינוק", "יחידה", "9800", false},
			{"PG-004", "נדנדת קן בקוטר 1.2 מטר", "יחידה", "12500", false},
			{"PG-005", "מגלשת נירוסטה באורך 2.5 מטר", "יחידה", "14800", true},
			{"PG-006", "קרוסלה נגישה לכיסאות גלגלים", "יחידה", "36000", true},
			{"PG-007", "משטח גומי יצוק בולם זעזועים", "מ\"ר", "310", true},
			{"PG-008", "ספסל ישיבה מעץ ומתכת", "יחידה", "1900", false},
			{"PG-009", "הצללה מבד (מפרש) על עמודים", "מ\"ר", "260", true},
			{"PG-010", "מתקן כושר חוץ זוגי", "יחידה", "8900", false},
		}},
	{number: "05/2024", title: "שיפוץ ואחזקת מבני ציבור", category: "בינוי ושיפוצים",
		description: "עבודות שיפוץ, נגישות ואחזקה במוסדות חינוך ובמבני ציבור, לפי כתב כמויות.",
		validFrom:   "2024-05-01", validUntil: "2027-03-31", rule: RuleChoice, fee: "3.00", confirmationDays: 5,
		suppliers: []string{"510000052", "510000078", "515000404"}, linkage: "2025-07-01",
		items: []demoItem{
			{"REN-001", "צביעת קירות פנים כולל הכנת שטח", "מ\"ר", "38", true},
			{"REN-002", "החלפת ריצוף קרמיקה 60x60", "מ\"ר", "240", true},
			{"REN-003", "תקרה אקוסטית מינרלית", "מ\"ר", "145", false},
			{"REN-004", "איטום גג ביריעות ביטומניות", "מ\"ר", "110", true},
			{"REN-005", "החלפת דלת פנים כולל משקוף", "יחידה", "1850", false},
			{"REN-006", "החלפת חלון אלומיניום", "מ\"ר", "1250", false},
			{"REN-007", "שיפוץ חדר שירותים נגיש", "יחידה", "42000", true},
			{"REN-008", "מעקה בטיחות מנירוסטה", "מטר", "720", false},
			{"REN-009", "שעת עבודה של חשמלאי מוסמך", "שעה", "180", true},
			{"REN-010", "שעת עבודה של אינסטלטור", "שעה", "170", true},
		}},
	{number: "06/2024", title: "החלפת חול בגני ילדים ובגני משחקים", category: "תשתיות",
		description: "פינוי חול קיים, אספקה ופיזור של חול נקי, ניפוי וחיטוי ובדיקות מעבדה.",
		validFrom:   "2024-06-01", validUntil: "2027-03-31", rule: RuleSingle, fee: "2.00", confirmationDays: 10,
		suppliers: []string{"510000060", "510000045"},
		items: []demoItem{
			{"SAND-001", "אספקה ופיזור חול ים נקי כולל פינוי חול קיים", "מ\"ק", "290", true},
			{"SAND-002", "אספקה ופיזור חול סיליקה מסונן לארגזי חול", "מ\"ק", "360", true},
			{"SAND-003", "ניפוי וחיטוי חול קיים במקום", "מ\"ר", "14", false},
			{"SAND-004", "יריעת גיאוטכסטיל מתחת לחול", "מ\"ר", "16", false},
			{"SAND-005", "פינוי חול מזוהם לאתר מורשה", "מ\"ק", "120", true},
			{"SAND-006", "בדיקת מעבדה מיקרוביולוגית לחול", "בדיקה", "650", false},
		}},
	{number: "07/2024", title: "ריהוט לבתי ספר ולמשרדים", category: "ריהוט",
		description: "ריהוט כיתות, חדרי מורים ומשרדי הרשות, כולל הובלה והרכבה.",
		validFrom:   "2024-07-01", validUntil: "2026-06-30", extendedUntil: "2027-06-30", rule: RuleChoice, fee: "1.50", confirmationDays: 7,
		suppliers: []string{"515000503", "515000602"},
		items: []demoItem{
			{"FUR-001", "שולחן תלמיד יחיד מתכוונן", "יחידה", "420", true},
			{"FUR-002", "כיסא תלמיד ארגונומי", "יחידה", "290", true},
			{"FUR-003", "שולחן מורה עם מגירה", "יחידה", "980", false},
			{"FUR-004", "לוח מחיק מגנטי 120x240", "יחידה", "1350", false},
			{"FUR-005", "כיסא משרדי ארגונומי", "יחידה", "1150", true},
			{"FUR-006", "שולחן עבודה משרדי 160x80", "יחידה", "1600", false},
			{"FUR-007", "ארון תיקים 4 מגירות", "יחידה", "1450", false},
			{"FUR-008", "ספרייה פתוחה 5 מדפים", "יחידה", "890", false},
			{"FUR-009", "שולחן ישיבות ל-10 משתתפים", "יחידה", "5200", true},
		}},
	{number: "08/2024", title: "תאורת LED לרחובות ולמבני ציבור", category: "חשמל ותאורה",
		description: "החלפת תאורת רחוב ותאורת מבנים לתאורת LED חסכונית, כולל בקרים חכמים והתקנה.",
		validFrom:   "2024-08-01", validUntil: "2027-03-31", rule: RuleSingle, fee: "2.00", confirmationDays: 5, ceiling: "3000000",
		suppliers: []string{"515000701", "510000078"},
		items: []demoItem{
			{"LED-001", "גוף תאורת רחוב LED 60W", "יחידה", "1250", true},
			{"LED-002", "גוף תאורת רחוב LED 120W", "יחידה", "1780", true},
			{"LED-003", "פנל LED שקוע 60x60 40W", "יחידה", "185", false},
			{"LED-004", "פרוז'קטור LED 200W למגרשי ספורט", "יחידה", "2300", false},
			{"LED-005", "עמוד תאורה מגולוון 8 מטר כולל יסוד", "יחידה", "6400", true},
			{"LED-006", "בקר תאורה חכם לעמוד", "יחידה", "540", false},
			{"LED-007", "החלפת גוף תאורה קיים (עבודה ומנוף)", "יחידה", "310", true},
		}},
	{number: "09/2024", title: "ציוד וחומרי ניקיון ותחזוקה", category: "ניקיון ותחזוקה",
		description: "חומרי ניקוי, מוצרי נייר וציוד ניקיון למוסדות חינוך ולמבני ציבור.",
		validFrom:   "2024-09-01", validUntil: "", rule: RuleChoice, fee: "1.50", confirmationDays: 3,
		suppliers: []string{"515000800", "510000078"},
		items: []demoItem{
			{"CLN-001", "נוזל לניקוי רצפות (גלון 4 ליטר)", "גלון", "22", false},
			{"CLN-002", "נייר טואלט תעשייתי (שישייה)", "חבילה", "48", false},
			{"CLN-003", "מגבות נייר לידיים (קרטון)", "קרטון", "95", true},
			{"CLN-004", "סבון ידיים נוזלי (מיכל 5 ליטר)", "מיכל", "34", false},
			{"CLN-005", "שקיות אשפה 75x90 (גליל 20 יחידות)", "גליל", "9.50", false},
			{"CLN-006", "עגלת ניקיון עם סחטה", "יחידה", "640", true},
			{"CLN-007", "מכונת שטיפת רצפות חשמלית", "יחידה", "14500", true},
			{"CLN-008", "חומר חיטוי למשטחים (מיכל 5 ליטר)", "מיכל", "58", false},
		}},
}

// demoTenderNames are the demo tenders' titles and categories in Arabic
// and English, by number: title_ar, title_en, category_ar, category_en.
var demoTenderNames = map[string][4]string{
	"01/2024": {"معدات طبية وإسعافات أولية", "Medical and first-aid equipment", "معدات طبية", "Medical equipment"},
	"02/2024": {"بنى تحتية للحوسبة والاتصالات", "Computing and communications infrastructure", "حوسبة", "Computing"},
	"03/2024": {"أمن المعلومات والحماية السيبرانية", "Information security and cyber defence", "أمن المعلومات", "Information security"},
	"04/2024": {"معدات ومنشآت حدائق الألعاب", "Playground equipment and facilities", "حدائق الألعاب", "Playgrounds"},
	"05/2024": {"ترميم وصيانة المباني العامة", "Renovation and maintenance of public buildings", "بناء وترميم", "Construction and renovation"},
	"06/2024": {"استبدال الرمل في رياض الأطفال وحدائق الألعاب", "Sand replacement in kindergartens and playgrounds", "بنى تحتية", "Infrastructure"},
	"07/2024": {"أثاث للمدارس والمكاتب", "Furniture for schools and offices", "أثاث", "Furniture"},
	"08/2024": {"إنارة LED للشوارع والمباني العامة", "LED lighting for streets and public buildings", "كهرباء وإنارة", "Electricity and lighting"},
	"09/2024": {"معدات ومواد التنظيف والصيانة", "Cleaning and maintenance supplies", "تنظيف وصيانة", "Cleaning and maintenance"},
}

// demoItemNames are the Arabic and English names of the items of two demo
// tenders (medical equipment and computing), by SKU; the other items have
// their Hebrew names only.
var demoItemNames = map[string][2]string{
	"MED-001": {"جهاز إزالة الرجفان الآلي (AED) للاستخدام العام", "Public-access automated external defibrillator (AED)"},
	"MED-002": {"خزانة لجهاز إزالة الرجفان مع إنذار وتدفئة", "Defibrillator cabinet with alarm and heating"},
	"MED-003": {"حقيبة إسعافات أولية للصف", "Classroom first-aid kit"},
	"MED-004": {"حقيبة إسعافات أولية للسيارة", "Vehicle first-aid kit"},
	"MED-005": {"جهاز رقمي لقياس ضغط الدم", "Digital blood pressure monitor"},
	"MED-006": {"ميزان حرارة بالأشعة تحت الحمراء دون تلامس", "Non-contact infrared thermometer"},
	"MED-007": {"نقالة قابلة للطي", "Folding stretcher"},
	"MED-008": {"دمية للتدريب على الإنعاش", "CPR training manikin"},
	"MED-009": {"قفازات نتريل (علبة 100 قطعة)", "Nitrile gloves (box of 100)"},
	"MED-010": {"كمامات جراحية (علبة 50 قطعة)", "Surgical masks (box of 50)"},
	"MED-011": {"حاقن إبينفرين تلقائي", "Epinephrine auto-injector"},
	"MED-012": {"عربة إنعاش مجهّزة", "Equipped resuscitation cart"},
	"IT-001":  {"حاسوب مكتبي (i5، 16GB، SSD 512GB)", "Office desktop computer (i5, 16GB, 512GB SSD)"},
	"IT-002":  {"حاسوب محمول 14 إنش لموظفي السلطة المحلية", "14-inch laptop for municipal staff"},
	"IT-003":  {"شاشة حاسوب 27 إنش IPS", "27-inch IPS monitor"},
	"IT-004":  {"محوّل شبكة مُدار بـ 24 منفذًا PoE", "Managed 24-port PoE network switch"},
	"IT-005":  {"نقطة وصول لاسلكية Wi-Fi 6", "Wi-Fi 6 wireless access point"},
	"IT-006":  {"خادم رفّي 1U بمعالجين", "1U rack server with two processors"},
	"IT-007":  {"مزوّد طاقة غير منقطعة (UPS) بقدرة 3kVA لخزانة الاتصالات", "3 kVA UPS for a network cabinet"},
	"IT-008":  {"خزانة اتصالات 42U", "42U network cabinet"},
	"IT-009":  {"طابعة ليزر متعددة الوظائف A4", "A4 multifunction laser printer"},
	"IT-010":  {"تركيب نقطة شبكة شاملًا التمديدات", "Network point installation including cabling"},
	"IT-011":  {"ساعة عمل فني حاسوب في الموقع", "On-site IT technician hour"},
}

// demoSuppliers are the winners the demo tenders need; the foundation's
// demo creates the first eight, and SeedDemo adds whichever is missing.
var demoSuppliers = []struct{ number, name, email, phone, address string }{
	{"510000011", "מדיקל אספקה רפואית בע\"מ", "orders@medical.example", "04-6390001", "רחוב התעשייה 5, חדרה"},
	{"510000029", "טכנו-נט מערכות מחשוב בע\"מ", "sales@technonet.example", "04-6390002", "שדרות הנשיא 12, חיפה"},
	{"510000037", "סייבר-מגן אבטחת מידע בע\"מ", "office@cybermagen.example", "03-5550003", "רחוב הברזל 30, תל אביב"},
	{"510000045", "גן ושעשוע מתקני משחק בע\"מ", "info@ganshaashua.example", "04-8550004", "אזור תעשייה, יקנעם"},
	{"510000052", "בוני השרון שיפוצים ובנייה בע\"מ", "office@bonei-hasharon.example", "09-7660005", "רחוב המלאכה 8, נתניה"},
	{"510000060", "חולות הים תשתיות ופיתוח בע\"מ", "projects@holot.example", "04-6270006", "אזור תעשייה קיסריה"},
	{"510000078", "אל-כרמל הנדסה ואספקה בע\"מ", "info@alcarmel.example", "04-6350007", "כביש 65, כפר קרע"},
	{"510000086", "רשת-דאטה פתרונות ענן בע\"מ", "hello@reshetdata.example", "03-6120008", "רחוב הברושים 2, יקום"},
	{"515000107", "שחר ציוד רפואי בע\"מ", "sales@shahar-med.example", "04-6210010", "רחוב הנרקיס 4, זכרון יעקב"},
	{"515000206", "מחשבי השרון בע\"מ", "info@mahshevei-hasharon.example", "09-8650020", "רחוב הסדנאות 11, הרצליה"},
	{"515000305", "פארק-ליין מתקני חצר בע\"מ", "office@parkline.example", "04-9590030", "אזור תעשייה צפוני, עפולה"},
	{"515000404", "א.ב. קבלנות ושיפוצים בע\"מ", "ab@ab-build.example", "04-6380040", "רחוב הגפן 17, פרדס חנה-כרכור"},
	{"515000503", "רהיטי הגליל בע\"מ", "sales@rahitei-hagalil.example", "04-9880050", "אזור תעשייה בר-לב"},
	{"515000602", "ישיבה נכונה ריהוט מוסדי בע\"מ", "office@yeshiva-nechona.example", "03-9210060", "רחוב המדע 3, פתח תקווה"},
	{"515000701", "אור-ירוק תאורה חסכונית בע\"מ", "info@or-yarok.example", "08-9440070", "רחוב האנרגיה 9, יבנה"},
	{"515000800", "נקי-פלוס ציוד ניקיון בע\"מ", "orders@naki-plus.example", "04-6320080", "רחוב השקד 21, בנימינה"},
}

// supplierFactors are how each winner's prices stand to the typical price.
var supplierFactors = []string{"1.00", "0.95", "1.04"}

// SeedDemo loads the demo catalog: the nine shelf tenders of the seed
// report, open to every authority in the database, with their items,
// winning suppliers (adding those that are missing, with valid
// certificates) and prices, all published. It does nothing when the
// database already holds tenders.
func SeedDemo(ctx context.Context, db *sqlx.DB) (err error) {
	defer apperr.Wrap(&err, "catalog.SeedDemo")
	s := NewStore(db)
	n, err := s.tenderCount(ctx)
	if err != nil || n > 0 {
		return err
	}
	authorityIDs, err := s.authorityIDs(ctx)
	if err != nil {
		return err
	}
	supplierIDs, err := s.ensureDemoSuppliers(ctx)
	if err != nil {
		return err
	}
	today := calendar.Today()
	for _, dt := range demoTenders {
		if err := seedTender(ctx, s, dt, authorityIDs, supplierIDs, today); err != nil {
			return fmt.Errorf("tender %s: %w", dt.number, err)
		}
	}
	return nil
}

func seedTender(ctx context.Context, s *Store, dt demoTender, authorityIDs []int64, supplierIDs map[string]int64, today calendar.Date) error {
	fee := decimal.RequireFromString(dt.fee)
	names := demoTenderNames[dt.number]
	in := TenderInput{Number: dt.number, Title: dt.title, Category: dt.category, Description: dt.description,
		TitleAr: names[0], TitleEn: names[1], CategoryAr: names[2], CategoryEn: names[3],
		ValidFrom: calendar.MustParse(dt.validFrom), AwardRule: dt.rule, FeePercent: &fee, ConfirmationDays: dt.confirmationDays}
	in.ValidUntil, in.ExtendedUntil = demoValidity(dt, today)
	if dt.ceiling != "" {
		in.Ceiling = &Money{Decimal: decimal.RequireFromString(dt.ceiling)}
	}
	for _, id := range authorityIDs {
		a := AuthorityInput{AuthorityID: id}
		if dt.allocation != "" {
			a.Allocation = &Money{Decimal: decimal.RequireFromString(dt.allocation)}
		}
		in.Authorities = append(in.Authorities, a)
	}
	t, err := s.CreateTender(ctx, in)
	if err != nil {
		return err
	}
	inputs := make([]ItemInput, len(dt.items))
	for i, it := range dt.items {
		inputs[i] = ItemInput{SKU: it.sku, Name: it.name, NameAr: demoItemNames[it.sku][0], NameEn: demoItemNames[it.sku][1], Unit: it.unit}
		if it.capped {
			inputs[i].MaxPrice = &Money{Decimal: decimal.RequireFromString(it.price).Mul(decimal.RequireFromString("1.2")).Round(0)}
		}
	}
	items, err := s.AddItems(ctx, t.ID, inputs)
	if err != nil {
		return err
	}

	// In a single tender the runners-up are awarded first and stand by
	// suspended, so that the winner is the one active award.
	order := dt.suppliers
	if dt.rule == RuleSingle {
		order = append(append([]string{}, dt.suppliers[1:]...), dt.suppliers[0])
	}
	awardOf := map[string]int64{}
	for _, number := range order {
		a, err := s.AwardSupplier(ctx, t.ID, supplierIDs[number])
		if err != nil {
			return err
		}
		awardOf[number] = a.ID
		if dt.rule == RuleSingle && number != dt.suppliers[0] {
			if _, err := s.TransitionAward(ctx, t.ID, a.ID, AwardActionSuspend); err != nil {
				return err
			}
		}
	}

	// The price history: initial prices from the start of validity, an
	// index linkage where the tender had one, and one announced reduction.
	err = database.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		ts := s.InTx(tx)
		for si, number := range dt.suppliers {
			var rows []*priceRow
			for ii, it := range dt.items {
				wobble := decimal.New(int64((ii*7+si*3)%5-2), -2) // ±2%
				factor := decimal.RequireFromString(supplierFactors[si%len(supplierFactors)]).Add(wobble)
				price := decimal.RequireFromString(it.price).Mul(factor).Round(2)
				rows = append(rows, &priceRow{PriceInput: PriceInput{ItemID: items[ii].ID, Price: Money{Decimal: price},
					ValidFrom: t.ValidFrom, Reason: ReasonInitial}})
				if dt.linkage != "" {
					rows = append(rows, &priceRow{PriceInput: PriceInput{ItemID: items[ii].ID,
						Price: money.Of(price.Mul(decimal.RequireFromString("1.025")).Round(2)), ValidFrom: calendar.MustParse(dt.linkage),
						Reason: ReasonIndexLinkage}})
				}
				if dt.number == "02/2024" && si == 0 && ii < 2 {
					rows = append(rows, &priceRow{PriceInput: PriceInput{ItemID: items[ii].ID,
						Price: money.Of(price.Mul(decimal.RequireFromString("0.96")).Round(2)), ValidFrom: today.AddDays(14),
						Reason: ReasonPriceUpdate}})
				}
			}
			if _, err := ts.insertPrices(ctx, awardOf[number], rows); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	_, err = s.Transition(ctx, t.ID, ActionPublish)
	return err
}

// demoValidity keeps the demo tenders valid whenever the demo is loaded:
// the listed end when it is at least 90 days away, else a year from today;
// a tender without a listed end expires in 45 days (the lead's alerts).
func demoValidity(dt demoTender, today calendar.Date) (until, extended calendar.Date) {
	if dt.validUntil == "" {
		return today.AddDays(45), calendar.Date{}
	}
	until = calendar.MustParse(dt.validUntil)
	if dt.extendedUntil != "" {
		extended = calendar.MustParse(dt.extendedUntil)
	}
	end := until
	if !extended.IsZero() {
		end = extended
	}
	if end.Before(today.AddDays(90)) {
		return today.AddDays(365), calendar.Date{}
	}
	return until, extended
}
