package app

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"madaf/accounts"
	"madaf/authorities"
	"madaf/catalog"
	"madaf/competitions"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/paging"
	"madaf/orders"
	"madaf/suppliers"
	"madaf/volumes"
	"madaf/workplan"
)

// DemoPassword is the password of every demo user.
const DemoPassword = "madaf-demo-2026"

// DemoTOTPSecret is the second-factor secret (base32) of every demo user
// whose role signs or decides, published like DemoPassword so that an
// authenticator app set up with it gives their sign-in codes.
const DemoTOTPSecret = "F3CNCTDRGYG2TTJGDNCTYSSDG4UQSMAZ"

// DemoLogin is one demo user.
type DemoLogin struct {
	Email, Role, Org string
}

// DemoLogins are the demo users, one per role.
var DemoLogins = []DemoLogin{
	{"admin@madaf.example", auth.RoleClusterAdmin, "cluster"},
	{"lead@madaf.example", auth.RoleEconomicLead, "cluster"},
	{"officer@zichron.example", auth.RoleOfficer, "authority:9300"},
	{"treasurer@zichron.example", auth.RoleTreasurer, "authority:9300"},
	{"head@zichron.example", auth.RoleHead, "authority:9300"},
	// The director-general and the legal adviser sit, with the treasurer,
	// on the committee that decides mini-competitions.
	{"ceo@zichron.example", auth.RoleCEO, "authority:9300"},
	{"legal@zichron.example", auth.RoleLegalAdviser, "authority:9300"},
	// The storekeeper records the goods received, and nothing else.
	{"receiver@zichron.example", auth.RoleReceiver, "authority:9300"},
	// The treasurer's deputy signs in the treasurer's slot by delegation;
	// officer is the one role of an authority user that signs in neither.
	{"deputy@zichron.example", auth.RoleOfficer, "authority:9300"},
	{"officer@kafrqara.example", auth.RoleOfficer, "authority:654"},
	{"supplier@medical.example", auth.RoleSupplier, "supplier:510000011"},
}

// SeedDemo loads the demo cluster into an empty database: the eight member
// authorities of the 2024 report with budget lines, suppliers with
// certificates, one user per role, then each feature's demo data (the
// catalog, the orders and their history, the mini-competitions, the work
// plan, an issued fee statement). It reports false and loads nothing when the database already
// holds authorities.
func SeedDemo(ctx context.Context, db *sqlx.DB, w io.Writer) (bool, error) {
	empty, err := authorities.NewStore(db).Empty(ctx)
	if err != nil || !empty {
		return false, err
	}
	if err := seedFoundation(ctx, db); err != nil {
		return false, fmt.Errorf("demo foundation: %w", err)
	}
	// Each feature's demo data follows, in dependency order.
	if err := catalog.SeedDemo(ctx, db); err != nil {
		return false, fmt.Errorf("demo catalog: %w", err)
	}
	if err := seedOrderDesks(ctx, db); err != nil {
		return false, fmt.Errorf("demo order desks: %w", err)
	}
	if err := orders.SeedDemo(ctx, db); err != nil {
		return false, fmt.Errorf("demo orders: %w", err)
	}
	if err := competitions.SeedDemo(ctx, db); err != nil {
		return false, fmt.Errorf("demo competitions: %w", err)
	}
	if err := workplan.SeedDemo(ctx, db); err != nil {
		return false, fmt.Errorf("demo work plan: %w", err)
	}
	if err := volumes.SeedDemo(ctx, db); err != nil {
		return false, fmt.Errorf("demo fee statement: %w", err)
	}

	fmt.Fprintf(w, "Demo data loaded. Demo logins (password %q):\n", DemoPassword)
	for _, l := range DemoLogins {
		fmt.Fprintf(w, "  %-28s %-14s %s\n", l.Email, l.Role, l.Org)
	}
	fmt.Fprintf(w, "Signers answer a code of the authenticator secret %s\n", DemoTOTPSecret)
	return true, nil
}

type demoAuthority struct {
	code, he, ar, en, kind string
	population             int
}

// The member authorities of אשכול רשויות מישור החוף in 2024, with their
// populations (rounded); each is under 50,000 residents, so each has the
// smallest legal band.
var demoAuthorities = []demoAuthority{
	{"9800", "בנימינה-גבעת עדה", "بنيامينا - جفعات عادا", "Binyamina-Giv'at Ada", authorities.KindLocalCouncil, 16000},
	{"7800", "פרדס חנה-כרכור", "بارديس حنا - كركور", "Pardes Hanna-Karkur", authorities.KindLocalCouncil, 47000},
	{"9300", "זכרון יעקב", "زخرون يعقوب", "Zikhron Ya'akov", authorities.KindLocalCouncil, 24000},
	{"53", "מועצה אזורית חוף הכרמל", "المجلس الإقليمي حوف هكرمل", "Hof HaCarmel Regional Council", authorities.KindRegionalCouncil, 33000},
	{"59", "מועצה אזורית אלונה", "المجلس الإقليمي ألونا", "Alona Regional Council", authorities.KindRegionalCouncil, 4500},
	{"541", "ג'סר א-זרקא", "جسر الزرقاء", "Jisr az-Zarqa", authorities.KindLocalCouncil, 15000},
	{"485", "פורדיס", "الفريديس", "Fureidis", authorities.KindLocalCouncil, 13500},
	{"654", "כפר קרע", "كفر قرع", "Kafr Qara", authorities.KindLocalCouncil, 20000},
}

// demoBudgetLines are every authority's budget lines, each year, named in
// Hebrew, Arabic and English.
var demoBudgetLines = []struct {
	code, he, ar, en string
	amount           int64
}{
	{"1-611-750", "ציוד מחשוב ותקשורת", "معدات الحوسبة والاتصالات", "IT equipment", 900000},
	{"1-613-740", "ציוד רפואי ועזרה ראשונה", "معدات طبية وإسعاف أولي", "Medical supplies", 300000},
	{"1-616-780", "אבטחת מידע וסייבר", "أمن المعلومات والسايبر", "Cyber security", 450000},
	{"1-746-750", "גני משחקים ומתקני ספורט", "ملاعب أطفال ومنشآت رياضية", "Play facilities", 1200000},
	{"1-742-760", "שיפוץ ואחזקת מבני ציבור", "ترميم وصيانة المباني العامة", "Public buildings", 1500000},
}

var demoSuppliers = []suppliers.SupplierInput{
	{CompanyNumber: "510000011", LegalName: "מדיקל אספקה רפואית בע\"מ", Email: "orders@medical.example", Phone: "04-6390001", Address: "רחוב התעשייה 5, חדרה"},
	{CompanyNumber: "510000029", LegalName: "טכנו-נט מערכות מחשוב בע\"מ", Email: "sales@technonet.example", Phone: "04-6390002", Address: "שדרות הנשיא 12, חיפה"},
	{CompanyNumber: "510000037", LegalName: "סייבר-מגן אבטחת מידע בע\"מ", Email: "office@cybermagen.example", Phone: "03-5550003", Address: "רחוב הברזל 30, תל אביב"},
	{CompanyNumber: "510000045", LegalName: "גן ושעשוע מתקני משחק בע\"מ", Email: "info@ganshaashua.example", Phone: "04-8550004", Address: "אזור תעשייה, יקנעם"},
	{CompanyNumber: "510000052", LegalName: "בוני השרון שיפוצים ובנייה בע\"מ", Email: "office@bonei-hasharon.example", Phone: "09-7660005", Address: "רחוב המלאכה 8, נתניה"},
	{CompanyNumber: "510000060", LegalName: "חולות הים תשתיות ופיתוח בע\"מ", Email: "projects@holot.example", Phone: "04-6270006", Address: "אזור תעשייה קיסריה"},
	{CompanyNumber: "510000078", LegalName: "אל-כרמל הנדסה ואספקה בע\"מ", Email: "info@alcarmel.example", Phone: "04-6350007", Address: "כביש 65, כפר קרע"},
	{CompanyNumber: "510000086", LegalName: "רשת-דאטה פתרונות ענן בע\"מ", Email: "hello@reshetdata.example", Phone: "03-6120008", Address: "רחוב הברושים 2, יקום"},
}

func seedFoundation(ctx context.Context, db *sqlx.DB) error {
	as := authorities.NewStore(db)
	year := calendar.Today().Year()
	cluster := &auth.Principal{OrgKind: auth.OrgCluster, Roles: []string{auth.RoleClusterAdmin}}
	for _, d := range demoAuthorities {
		a, err := as.Create(ctx, cluster, authorities.AuthorityInput{Code: d.code, NameHe: d.he, NameAr: d.ar, NameEn: d.en,
			Kind: d.kind, Population: &d.population})
		if err != nil {
			return err
		}
		treasurer := &auth.Principal{OrgKind: auth.OrgAuthority, AuthorityID: a.ID, Roles: []string{auth.RoleTreasurer}}
		for _, fy := range []int{year - 2, year - 1, year} {
			for _, b := range demoBudgetLines {
				if _, err := as.CreateBudgetLine(ctx, treasurer, a.ID, authorities.BudgetLineInput{
					FiscalYear: fy, Code: b.code, Name: b.he, NameAr: b.ar, NameEn: b.en, Amount: decimal.NewFromInt(b.amount)}); err != nil {
					return err
				}
			}
		}
	}
	ss := suppliers.NewStore(db)
	validUntil := calendar.Today().AddDays(400)
	for i, in := range demoSuppliers {
		sp, err := ss.Create(ctx, in)
		if err != nil {
			return err
		}
		for _, kind := range suppliers.MandatoryCertificates {
			until := validUntil
			if i == len(demoSuppliers)-1 && kind == suppliers.CertInsurance {
				until = calendar.Today().AddDays(20) // expiring soon: shows in the lead's alerts
			}
			if _, err := ss.AddCertificate(ctx, sp.ID, suppliers.CertificateInput{
				Kind: kind, Number: fmt.Sprintf("%s-%s-%d", kind[:3], in.CompanyNumber[5:], year), ValidUntil: until}); err != nil {
				return err
			}
		}
	}

	us := accounts.NewStore(db)
	users := map[string]*accounts.User{}
	for _, l := range DemoLogins {
		kind, authorityID, supplierID, err := us.ResolveOrg(ctx, l.Org)
		if err != nil {
			return err
		}
		u, err := us.CreateUser(ctx, accounts.NewUser{Email: l.Email, Name: demoName(l), Password: DemoPassword,
			OrgKind: kind, AuthorityID: authorityID, SupplierID: supplierID, Roles: []string{l.Role}})
		if err != nil {
			return err
		}
		users[l.Email] = u
	}
	if err := seedDelegation(ctx, as, users); err != nil {
		return err
	}
	return seedSecondFactors(ctx, us, users)
}

// seedOrderDesks gives every supplier without a demo login an order desk,
// a user at its contact address, which confirms and delivers the orders
// of the demo's history (the password is DemoPassword).
func seedOrderDesks(ctx context.Context, db *sqlx.DB) error {
	cluster := &auth.Principal{OrgKind: auth.OrgCluster, Roles: []string{auth.RoleClusterAdmin}}
	all, err := suppliers.NewStore(db).List(ctx, cluster, paging.Page{Limit: 500})
	if err != nil {
		return err
	}
	us := accounts.NewStore(db)
	for _, sp := range all {
		if slices.ContainsFunc(DemoLogins, func(l DemoLogin) bool { return l.Org == "supplier:"+sp.CompanyNumber }) {
			continue
		}
		if _, err := us.CreateUser(ctx, accounts.NewUser{Email: sp.Email, Name: "מוקד הזמנות", Password: DemoPassword,
			OrgKind: auth.OrgSupplier, SupplierID: sp.ID, Roles: []string{auth.RoleSupplier}}); err != nil {
			return err
		}
	}
	return nil
}

// seedSecondFactors enrols DemoTOTPSecret as the second factor of every
// demo user who must have one: the signers, the head, the cluster admin and
// the holder of the delegation.
func seedSecondFactors(ctx context.Context, us *accounts.Store, users map[string]*accounts.User) error {
	for _, l := range DemoLogins {
		u := users[l.Email]
		f, err := us.SecondFactorOf(ctx, u.ID)
		if err != nil {
			return err
		}
		if !f.Required {
			continue
		}
		if err := us.EnrolSecondFactor(ctx, u.ID, DemoTOTPSecret); err != nil {
			return err
		}
	}
	return nil
}

// seedDelegation has Zichron Ya'akov's treasurer delegate her signature to
// her deputy for orders up to ₪50,000 for this year.
func seedDelegation(ctx context.Context, as *authorities.Store, users map[string]*accounts.User) error {
	treasurer, deputy := users["treasurer@zichron.example"], users["deputy@zichron.example"]
	if treasurer == nil || deputy == nil || treasurer.AuthorityID == nil {
		return nil
	}
	year := calendar.Today().Year()
	p := &auth.Principal{UserID: treasurer.ID, OrgKind: auth.OrgAuthority, AuthorityID: *treasurer.AuthorityID, Roles: treasurer.Roles}
	_, err := as.GrantDelegation(ctx, p, *treasurer.AuthorityID, authorities.DelegationInput{
		Slot: authorities.SlotTreasurer, DelegateID: deputy.ID, MaxTotal: decimal.NewFromInt(50000),
		ValidFrom:  calendar.NewDate(year, time.January, 1),
		ValidUntil: calendar.NewDate(year, time.December, 31),
		Note:       "סגן הגזברית, לחתימה בהיעדרה"})
	return err
}

func demoName(l DemoLogin) string {
	switch l.Email {
	case "admin@madaf.example":
		return "דנה כהן"
	case "lead@madaf.example":
		return "מיכל לוי"
	case "officer@zichron.example":
		return "יוסי אברהם"
	case "treasurer@zichron.example":
		return "רונית שפירא"
	case "head@zichron.example":
		return "אבי מזרחי"
	case "officer@kafrqara.example":
		return "סמיר עאזם"
	case "deputy@zichron.example":
		return "עמית ברק"
	case "ceo@zichron.example":
		return "אורית גולן"
	case "legal@zichron.example":
		return "עו\"ד נדב פרץ"
	case "receiver@zichron.example":
		return "שלומי דהן"
	}
	return "נועה ספקית"
}
