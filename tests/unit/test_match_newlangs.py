"""Topic rules for bn ur cs hu fi da no bg (issue 15, news_eval_newlangs).

The examples are real headlines and leads from the tune split of
bench/data/news_eval_newlangs.jsonl, copied as published (ids in the comments).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from streams.tagging.match import match_topics
from streams.tagging.taxonomy import CompiledTaxonomy, load_default_taxonomy
from streams.text.fold import fold_for_matching, split_words

TAXONOMY_FILE = Path(__file__).resolve().parents[2] / "streams" / "data" / "taxonomy.toml"
NEW_LANGUAGES = ("bn", "ur", "cs", "hu", "fi", "da", "no", "bg")


@pytest.fixture(scope="module")
def taxonomy() -> CompiledTaxonomy:
    return load_default_taxonomy()


def tagged(title: str, summary: str, language: str, taxonomy: CompiledTaxonomy) -> set[str]:
    return {tag.id for tag in match_topics(title, summary, language, taxonomy)}


TAGGED = [
    # bn-nl-003
    (
        "bn",
        "পাকিস্তানের সাধারণ নির্বাচনের চূড়ান্ত ফলাফল ঘোষণা",
        (
            "পাকিস্তানের নির্বাচন কমিশন (ইসিপি) গত ৮ ফেব্রুয়ারি "
            "অনুষ্ঠিত দেশটির সাধারণ নির্বাচনের চূড়ান্ত ফলাফল ঘোষণা "
            "করেছে।"
        ),
        "elections",
    ),
    # bn-nl-008
    (
        "bn",
        "ভয়াবহ বন্যার শিকার হয়েছে সিলেট, সুনামগঞ্জ, নেত্রকোণাসহ উত্তরপূর্ব এলাকার জনপদ।",
        "অত্যধিক বৃষ্টিপাত ও উজান থেকে নেমে আসা ঢলে সেখানে অন্তত ৪০ লাখ মানুষ পানিবন্দি হয়ে পড়ে।",
        "natural_disaster",
    ),
    # bn-nl-014
    (
        "bn",
        "দেশে আরও ২২০ ডেঙ্গু রোগী হাসপাতালে, মৃত্যু ১",
        ("দেশে এডিস মশাবাহিত ডেঙ্গু রোগে আক্রান্ত হয়ে গত ২৪ ঘণ্টায় ২২০ জন রোগী হাসপাতালে ভর্তি হয়েছেন।"),
        "disease_outbreak",
    ),
    # bn-nl-020
    (
        "bn",
        "লাইটার জাহাজ শ্রমিকদের ধর্মঘট, বন্ধ পণ্য পরিবহন",
        (
            "চট্টগ্রাম বন্দরের চেয়ারম্যানকে প্রত্যাহারসহ ৫ দফা দাবিতে "
            "চট্টগ্রামে লাইটার জাহাজের শ্রমিকেরা অনির্দিষ্টকালের ধর্মঘট "
            "শুরু করেছে।"
        ),
        "protest",
    ),
    # bn-nl-031
    (
        "bn",
        "দেশের ২৫টি সরকারি-বেসরকারি প্রতিষ্ঠানের ওয়েবসাইট ভারতীয় হ্যাকারদের দখলে",
        (
            "ভারতীয় হ্যাকারদের সাইবার আক্রমণের শিকার দেশের ২৫টি "
            "সরকারি-বেসরকারি প্রতিষ্ঠানের ওয়েবসাইট। ফাঁস হয়েছে কয়েক "
            "হাজার তথ্য।"
        ),
        "cyberattack",
    ),
    # bn-nl-042
    (
        "bn",
        "শিশুদের সঙ্গে নিয়ে আত্মঘাতী হামলায় নিহত ৫ জঙ্গি",
        ("আবারও আত্মঘাতী বিস্ফোরণ ও নাশকতার সাক্ষী বাংলাদেশ৷ বিস্ফোরণে এক মহিলা সহ চার জঙ্গির মৃত্যু হয়েছে৷"),
        "terrorism",
    ),
    # bn-nl-028
    (
        "bn",
        "ইচ্ছামতো টাকা ছাপানোয় দেশে মূল্যস্ফীতি বেড়েছে",
        (
            "দেশের আর্থিক খাতের নিয়ন্ত্রক সংস্থা হিসেবে কাজ করে "
            "বাংলাদেশ ব্যাংক। মূল্যস্ফীতি নিয়ন্ত্রণ করে মানুষকে "
            "স্বস্তিতে রাখা বাংলাদেশ ব্যাংকের অন্যতম কাজ।"
        ),
        "economy_markets",
    ),
    # ur-nl-002
    (
        "ur",
        "ضمنی الیکشن،پولنگ مکمل،ووٹوں کی گنتی جاری",
        (
            "ملک میں قومی اسمبلی کی 11 اور صوبائی اسمبلی کی 24 نشستوں پر "
            "ضمنی انتخابات کے لئے پولنگ کا وقت ختم ہوگیا۔ووٹوں کی گنتی "
            "شروع ہوگئی۔"
        ),
        "elections",
    ),
    # ur-nl-008
    (
        "ur",
        "ملک بھر میں سیلاب سے تباہی،اموات کی تعداد982 ہوگئی",
        (
            "سیکڑوں بستیاں اور دیہات صفحہ ہستی سے غائب ۔۔ غم اور بے بسی "
            "نے متاثرین کو مسکرانہ ہی بھُلا دیا ۔۔ چاروں صوبوں، گلگت "
            "بلتستان اور آزاد کشمیر میں دریا بپھر گئے ۔۔"
        ),
        "natural_disaster",
    ),
    # ur-nl-013
    (
        "ur",
        "بلوچستان میں پولیس وین پر خودکش دھماکا، ایک اہلکار شہید",
        (
            "بلوچستان کے ضلع کیچ کے شہر تربت میں پولیس وین کے قریب خودکش "
            "بم دھماکے کے نتیجے میں ایک پولیس اہلکار شہید اور ایک زخمی "
            "ہوگیا۔"
        ),
        "terrorism",
    ),
    # ur-nl-026
    (
        "ur",
        "مقبوضہ کشمیر:گرفتاریوں کے خلاف شٹرڈاون ہڑتال،کاروبار بند",
        (
            "مقبوضہ کشمیر میں حریت رہنماوں، نوجوانوں کی گرفتاریوں "
            "اوربھارتی مظالم کے خلاف دوسرے روز بھی ہڑتال جاری ہے۔"
        ),
        "protest",
    ),
    # ur-nl-033
    (
        "ur",
        "امریکی محکمہ دفاع پر سائبر حملہ",
        (
            "نامعلوم ہیکرز نے امریکی محکمہ دفاع پر حملہ کر دیا ، اہم اور "
            "حساس معلومات کو چوری کر لی گئیں ، ہزاروں ورکرز کا ڈیٹا بھی "
            "غائب ہے ۔"
        ),
        "cyberattack",
    ),
    # ur-nl-018
    (
        "ur",
        "فی تولہ سونا مزید مہنگا، قیمت ملکی تاریخ کی نئی بلندی پر پہنچ گئی",
        "سونے کے نرخ میں 1850 روپے کا واضح اضافہ ہوا ہے",
        "economy_markets",
    ),
    # cs-nl-003
    (
        "cs",
        "Hackeri zautocili na karlovarskou nemocnici",
        (
            "Naštěstí k žádné škodě nedošlo. IT team karlovarské "
            "nemocnice ihned zasáhl a útok odvrátil."
        ),
        "cyberattack",
    ),
    # cs-nl-011
    (
        "cs",
        "POVODNĚ v Česku mají PRVNÍ OBĚŤ! Existují obavy, že voda vzala život dalším lidem",
        (
            "Současné rozsáhlé záplavy si vyžádaly první oběť. V řece "
            "Krasovka na Bruntálsku utonul jeden člověk a policie nyní "
            "eviduje sedm pohřešovaných."
        ),
        "natural_disaster",
    ),
    # cs-nl-013
    (
        "cs",
        "Michl musime zustat jestraby inflace je stale vysoka a cnb sazby nesnizi",
        (
            "„Stále to ale není úroveň, se kterou jsme spokojeni. Stále "
            "to je úroveň vysoká, je to úroveň, která nám zatím "
            "neumožňuje snížit úrokové sazby.“"
        ),
        "economy_markets",
    ),
    # cs-nl-018
    (
        "cs",
        "V Česku začal odborářský den protestů proti krokům vlády.",
        (
            "V řadě firem, škol či úřadů se uskuteční stávka. Tisíce "
            "odborářů a odborářek pak dorazí do Prahy na protestní "
            "pochod a demonstraci."
        ),
        "protest",
    ),
    # cs-nl-020
    (
        "cs",
        "Ukrajinské hlavní město Kyjev čelí ruskému vzdušnému útoku",
        (
            "Rusové zaútočili na kritickou infrastrukturu města a jeho "
            "část se ocitla bez proudu. Kvůli útoku začalo hořet v "
            "sedmnáctipatrové budově v Kyjevě."
        ),
        "armed_conflict",
    ),
    # cs-nl-030
    (
        "cs",
        "Voliči v Česku rozhodují o tom, jaké složení bude mít nová Sněmovna.",
        (
            "Jejich hlasy určí, které strany nebo hnutí sestaví příští "
            "vládu a jaké tedy bude další směřování země."
        ),
        "elections",
    ),
    # cs-nl-035
    (
        "cs",
        "Nemocných chřipkou v Česku stále přibývá, a to ve všech krajích.",
        (
            "Už brzy by mohla být vyhlášená plošná epidemie. Aktuálně je "
            "průměrně 1 447 nemocných na 100 tisíc obyvatel, oproti "
            "minulému týdnu je to čtvrtinový nárůst."
        ),
        "disease_outbreak",
    ),
    # cs-nl-043
    (
        "cs",
        "Staty EU pry loni prekazily 16 islamistickych teroristickych utoku",
        (
            "„Celkem 16 naplánovaným útokům radikálních islamistů "
            "dokázaly loni úřady v Evropě zabránit. V sedmi případech se "
            "to nepodařilo, takže o život přišlo 13 lidí a 46 jich bylo "
            "zraněno.“"
        ),
        "terrorism",
    ),
    # hu-nl-008
    (
        "hu",
        "Több mint 30 embert kellett kiköltöztetni árvíz miatt",
        (
            "Ipolytarnóc környékén napok óta árad az Ipoly, ezért már "
            "húsz embert ki kellett telepíteni."
        ),
        "natural_disaster",
    ),
    # hu-nl-010
    (
        "hu",
        "Jegybanki alapkamat: hiába erősödik a forint, marad a vasszigor",
        (
            "Kedden ismét kamatdöntő ülést a monetáris tanács, amelytől "
            "ezúttal sem várható nagy meglepetés."
        ),
        "economy_markets",
    ),
    # hu-nl-021
    (
        "hu",
        "Orosz rakéták csaptak le Kijevre és több ukrán városra + videó",
        (
            "Október 22-én éjjel újabb nagyszabású orosz légitámadás "
            "érte Ukrajnát. Robbanások hallatszottak Kijevben és több "
            "más városban is, miközben a légvédelem egész éjszaka "
            "próbálta visszaverni a támadást."
        ),
        "armed_conflict",
    ),
    # hu-nl-025
    (
        "hu",
        "„Sztrájkot minden iskolában!” – Képek a tanárokért tartott budapesti tüntetésről",
        (
            "Péntek délután több ezer ember ment el arra a "
            "demonstrációra, amelyet a Diákok a Tanárokért mozgalom "
            "szervezett a béremelésben hiába reménykedő magyarországi "
            "pedagógusokért."
        ),
        "protest",
    ),
    # hu-nl-029
    (
        "hu",
        "Mindegy milyen az időjárás jön az influenza",
        (
            "Közepes erősségű influenzajárványra számítanak a "
            "szakemberek. Az Országos Epidemiológiai Központ főorvosa "
            "szerint két hét múlva éri el a megbetegedések száma a "
            "járványküszöböt."
        ),
        "disease_outbreak",
    ),
    # hu-nl-038
    (
        "hu",
        "Az Iszlám Állam vállalta magára az iszlámábádi mecset elleni merényletet",
        (
            "Az Iszlám Állam terrorszervezet vállalta a felelősséget a "
            "pakisztáni főváros egyik síita mecsetje elleni pénteki "
            "támadásért."
        ),
        "terrorism",
    ),
    # hu-nl-017
    (
        "hu",
        "250 ezer magyar internetező találkozott már zsarolóvírussal",
        (
            "A Nemzeti Közszolgálati Egyetem Kiberbiztonsági "
            "Akadémiájának programfelelőse szerint egy kutatás "
            "kimutatta: a magyar internetezők mintegy 2 százaléka, 250 "
            "ezer ember találkozott már zsarolóvírussal."
        ),
        "cyberattack",
    ),
    # fi-nl-006
    (
        "fi",
        "Äänestys on ollut vilkasta.",
        (
            "Eduskuntavaaleissa on äänestänyt ennakkoon 39,8 prosenttia "
            "Suomessa asuvista kansalaisista. Ennakkoon ääniä annettiin "
            "yhteensä noin 1,7 miljoonaa."
        ),
        "elections",
    ),
    # fi-nl-014
    (
        "fi",
        "Euroopan keskuspankki EKP:n korkopäätös on vuorossa torstaina.",
        (
            "Myös EKP:ltä on odotettu 0,25 prosenttiyksikön korotusta, "
            "mutta myös 0,5 on nähty mahdollisena."
        ),
        "economy_markets",
    ),
    # fi-nl-022
    (
        "fi",
        "Michael-hurrikaanin tuhoja raivataan yhä Yhdysvalloissa – ainakin 30 ihmistä on kuollut",
        (
            "Yhdysvaltoihin viikko sitten iskeneen Michael-hurrikaanin "
            "uutisoidaan aiheuttaneen jo ainakin 30 ihmisen kuoleman."
        ),
        "natural_disaster",
    ),
    # fi-nl-025
    (
        "fi",
        (
            "Ukrainan viranomaisten mukaan Venäjä on hyökännyt "
            "kymmenelle Ukrainan alueelle, lähinnä maan itä- ja "
            "eteläosissa."
        ),
        (
            "Venäjä aloitti täysimittaisen hyökkäyksen Ukrainaan niin "
            "mereltä, ilmasta kuin maalta varhain torstaiaamuna."
        ),
        "armed_conflict",
    ),
    # fi-nl-031
    (
        "fi",
        (
            "Senaatintorille odotetaan tuhansia mielenosoittajia - "
            "lakoissa mukana kymmeniätuhansia työntekijöitä"
        ),
        (
            "Aktiivimallia vastustavat poliittiset lakot seisauttavat "
            "perjantaina osan joukkoliikenteestä."
        ),
        "protest",
    ),
    # fi-nl-033
    (
        "fi",
        (
            "Suomessa on raportoitu 355 uutta koronavirustartuntaa, "
            "kertoo Terveyden ja hyvinvoinnin laitos (THL)."
        ),
        (
            "Viimeisten kahden viikon aikana on raportoitu 1 480 "
            "tartuntaa, mikä on 200 tartuntaa enemmän kuin edellisten "
            "kahden viikon aikana."
        ),
        "disease_outbreak",
    ),
    # fi-nl-038
    (
        "fi",
        "Yksi Pariisin terroriepäillyistä poliisin seurannassa viisi vuotta",
        (
            "Yksi Pariisin terrori-iskujen epäillyistä tekijöistä oli "
            "ollut poliisin tarkkailussa radikalisoitumisepäilyjen takia "
            "vuodesta 2010."
        ),
        "terrorism",
    ),
    # da-nl-009
    (
        "da",
        "Stormrådet erklærer stormflod flere steder i landet",
        "Vandstanden var så høj flere steder i Danmark, at der nogle steder var tale om stormflod.",
        "natural_disaster",
    ),
    # da-nl-012
    (
        "da",
        "Ukraine melder om stilstand frontlinjerne er frosset fast",
        (
            "Rusland har afvist at stå bag angreb mod civile. I en "
            "opdatering torsdag meddelte FN, at 816 civile har mistet "
            "livet i krigen."
        ),
        "armed_conflict",
    ),
    # da-nl-026
    (
        "da",
        (
            "Når fredag bliver til lørdag, nedlægger omkring 5350 "
            "sygeplejersker på tværs af landet arbejdet."
        ),
        (
            "I Dansk Sygeplejeråd (DSR), der er fagforening for "
            "sygeplejerskerne, står formand Grete Christensen "
            '"fuldstændig klar på det strejkevarsel, vi har sendt".'
        ),
        "protest",
    ),
    # da-nl-030
    (
        "da",
        (
            "Imens coronasmitten styrtdykker i Danmark, så brager "
            "antallet af smittede med influenza op."
        ),
        "De seneste uger er kurven over nye bekræftede influenzatilfælde vokset stejlt.",
        "disease_outbreak",
    ),
    # da-nl-036
    (
        "da",
        "20 personer anholdt i omfattende terrorsag",
        (
            "Flere af dem sigtes for terror efter straffelovens paragraf "
            "114 stk. 1, oplyser chefpolitiinspektør Jørgen Bergen Skov "
            "på et pressemøde onsdag eftermiddag."
        ),
        "terrorism",
    ),
    # da-nl-040
    (
        "da",
        "Det danske C25-indeks falder samlet med 5,02 procent mandag.",
        "Det er et af de største daglige fald i indeksets historie.",
        "economy_markets",
    ),
    # da-nl-051
    (
        "da",
        "Kenneth Thue: Sådan blæser de kommunale valgvinde",
        (
            "Kommunalvalget nærmer sig med hastige skridt. Men hvad kan "
            "vi forvente os af det kommende kommunalvalg?"
        ),
        "elections",
    ),
    # da-nl-052
    (
        "da",
        "Hackere bryder ind i norske politikeres mailkonti",
        (
            "I Norge har Stortinget været udsat for et omfattende "
            "IT-angreb, hvor hackere har brudt ind på adskillige "
            "parlamentarikeres e-mailkonti."
        ),
        "cyberattack",
    ),
    # no-nl-004
    (
        "no",
        (
            "I rentemarkedet prises det nå inn at styringsrenten vil "
            "settes opp et helt prosentpoeng til, slik at den ligger på "
            "3,75 prosent etter sommeren."
        ),
        "Med et normalt påslag tilsvarer det en boliglånsrente på 5,25 prosent.",
        "economy_markets",
    ),
    # no-nl-006
    (
        "no",
        "Influensautbrudd over hele landet",
        (
            "Ifølge Folkehelseinstituttet har det vært en kraftig økning "
            "i tallet på påviste influensa-tilfeller de siste ukene, "
            "skriver NTB."
        ),
        "disease_outbreak",
    ),
    # no-nl-011
    (
        "no",
        "Lokalvalg i dyrtid",
        (
            "Lokalvalget 2023 var en tyngdeforskyving mot høyre i norsk "
            "politikk, hvor sentrum-venstre-partiene gikk ned i "
            "oppslutning nasjonalt og mistet ordførermakt i mange "
            "kommuner."
        ),
        "elections",
    ),
    # no-nl-015
    (
        "no",
        "Biblioteker over hele landet utsatt for dataangrep",
        (
            "Datasystemene til biblioteker over hele landet har ligget "
            "nede siden tirsdag kveld etter et dataangrep. Hackere "
            "krever løsepenger for å åpne dataene."
        ),
        "cyberattack",
    ),
    # no-nl-016
    (
        "no",
        "Storstreik i staten",
        (
            "Det pågår en storstreik grunnet uenighet rundt "
            "tariffavtaler fra lønnsoppgjøret, og det ligger godt an til "
            "opptrapping der streiken blir langvarig."
        ),
        "protest",
    ),
    # no-nl-025
    (
        "no",
        "Store skader etter ras og flom – 56 evakuert",
        (
            "56 personer på Stranda er evakuert fra sine hjem på grunn "
            "av rasfare. Etter ras og flom torsdag er det store skader "
            "på veier og bygninger på Nordvestlandet."
        ),
        "natural_disaster",
    ),
    # no-nl-031
    (
        "no",
        "30 drept i russiske angrep mot Ukraina",
        (
            "To dager før årets største og viktigste feiring i Ukraina, "
            "angrep Russland en rekke ukrainske byer. Angrepet er det "
            "største på lang tid, og minst 30 mennesker skal være drept."
        ),
        "armed_conflict",
    ),
    # no-nl-032
    (
        "no",
        (
            "– Skytingen i Oslo sentrum natt til 25. juni gjør at PST "
            "hever terrortrusselnivået fra moderat terrortrussel til "
            "ekstraordinær trusselsituasjon, sier fungerende PST-sjef "
            "Roger Berg."
        ),
        (
            "PST begrunner det økte trusselnivået med at man "
            "erfaringsmessig ser at terrorhandlinger som er gjennomført, "
            "har potensiale til å inspirere andre."
        ),
        "terrorism",
    ),
    # bg-nl-003
    (
        "bg",
        "ЦИК публикува нови официални данни от изборите за парламент, които се проведоха в неделя.",
        "Те са към 02:00 часа на 28.10.2024 г. при обработени 32.40% СИК протоколи в РИК.",
        "elections",
    ),
    # bg-nl-006
    (
        "bg",
        (
            "И най-влиятелният вестник в света The New York Times ни се "
            "присмива за хакерската атаката срещу НАП."
        ),
        (
            "В публикация със заглавие 5 Million Bulgarians Have Their "
            "Personal Data Stolen in Hack медията проследява проблема с "
            "киберсигурността в страната."
        ),
        "cyberattack",
    ),
    # bg-nl-013
    (
        "bg",
        "Протестиращи срещу правителството отново блокираха движението в София",
        (
            "Започна поредният антиправителствен протест в София. "
            'Демонстрацията е наречена от организаторите "Всенароден '
            'митинг-протест" и се провежда на площад “Народно събрание“, '
            "информира БНР."
        ),
        "protest",
    ),
    # bg-nl-015
    (
        "bg",
        "БНБ вдига от утре основния лихвен процент до 3,12 на сто",
        (
            "Българската народна банка (БНБ) обявява, считано от 1 юли "
            "2023 г., основен лихвен процент (проста годишна лихва) в "
            "размер на 3,12 на сто, съобщава Централната банка."
        ),
        "economy_markets",
    ),
    # bg-nl-019
    (
        "bg",
        "Воден ад и в Лозенец Селото е залято почти изцяло",
        (
            "Около 12 часа продължават обилните валежи в Лозенец. В "
            "Царево започна евакуация със сирени."
        ),
        "natural_disaster",
    ),
    # bg-nl-023
    (
        "bg",
        (
            "Руски ракетни удари взеха на прицел жилищни сгради в "
            "украинската столица Киев в ранните часове на четвъртък, и "
            "доведоха до смъртта на най-малко 12 души и 48 ранени."
        ),
        (
            "Президентът на Украйна Володимир Зеленски осъди нападението "
            "като открито неуважение към мирните преговори."
        ),
        "armed_conflict",
    ),
    # bg-nl-026
    (
        "bg",
        "Задържаха джихадист преди терористичен акт",
        (
            "Предотвратиха терористичен акт у нас. Задържан е джихадист. "
            "МВР не съобщава подробности към момента."
        ),
        "terrorism",
    ),
    # bg-nl-047
    (
        "bg",
        "Грипна епидемия на национално ниво няма да се обявява,съобщават експертите.",
        "Очаква се обявяване на грипна епидемия в областите Пазарджик, Варна и Шумен.",
        "disease_outbreak",
    ),
]


@pytest.mark.parametrize(("language", "title", "summary", "topic"), TAGGED)
def test_real_headline_is_tagged(
    language: str, title: str, summary: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic in tagged(title, summary, language, taxonomy)


NOT_TAGGED = [
    # bn-nl-053
    (
        "bn",
        ("মানিকগঞ্জের সাটুরিয়ায় প্রেসক্লাবের দ্বি-বাষিক নির্বাচন রবিবার রাতে প্রেসক্লাব কার্যালয়ে অনুষ্ঠিত হয়েছে।"),
        (
            "এতে সভাপতি এম নজরুল ইসলাম (দৈনিক ইত্তেফাক) সাধারণ সম্পাদক "
            "প্রকৌশলী মুহাম্মাদ লুৎফর রহমান ( দৈনিক সংবাদ) নির্বাচিত "
            "হয়েছে।"
        ),
        "elections",
    ),
    # bn-nl-055
    (
        "bn",
        "সভাপতি ফরিদা ইয়াসমিন, সম্পাদক ইলিয়াস খান",
        (
            "জাতীয় প্রেস ক্লাবের ব্যবস্থাপনা কমিটির ২০২১-২২ মেয়াদের "
            "নির্বাচনে সভাপতি পদে ফরিদা ইয়াসমিন ও সাধারণ সম্পাদক পদে "
            "ইলিয়াস খান নির্বাচিত হয়েছেন।"
        ),
        "elections",
    ),
    # bn-nl-062
    (
        "bn",
        ("যুক্তরাষ্ট্র প্রবাসী ব্ল্যাক ডায়মন্ডখ্যাত কণ্ঠশিল্পী বেবী নাজনীন অসুস্থ হয়ে হাসপাতালে ভর্তি হয়েছেন।"),
        (
            "স্থানীয় সময় বুধবার (১৮ নভেম্বর) কিডনিজনিত সমস্যা নিয়ে "
            "নিউ জার্সি অঙ্গরাজ্যের প্যাটারসনের একটি হাসপাতালে ভর্তি হন "
            "তিনি।"
        ),
        "disease_outbreak",
    ),
    # cs-nl-047
    (
        "cs",
        "PROBĚHLA TRADIČNÍ VALNÁ HROMADA. VV PŘIVÍTAL DVA NOVÉ ČLENY",
        (
            "Před vstupem do třicáté sezony proběhla v Brně 24. valná "
            "hromada Českého florbalu (VH). Novými členy výkonného "
            "výboru se stali Lukáš Dolejš a Jan Kovář."
        ),
        "elections",
    ),
    # cs-nl-049
    (
        "cs",
        "zápis VV ze dne 21.12.2022",
        (
            "Hlavním bodem jednání bude odvolání stávajícího Výkonného "
            "Výboru a volba nového Výkonného Výboru."
        ),
        "elections",
    ),
    # cs-nl-045
    (
        "cs",
        "Policie kvůli ptačí budce evakuovala ministerstvo životního prostředí",
        (
            "V budově Ministerstva životního prostředí ve Vršovicích v "
            "Praze 10 dnes zasahovaly desítky policistů kvůli oznámení "
            "nálezu podezřelého balíčku doručeného poštou. Z objektu "
            "bylo evakuováno přibližně 400 osob."
        ),
        "terrorism",
    ),
    # hu-nl-017
    (
        "hu",
        "250 ezer magyar internetező találkozott már zsarolóvírussal",
        (
            "A Nemzeti Közszolgálati Egyetem Kiberbiztonsági "
            "Akadémiájának programfelelőse szerint egy kutatás "
            "kimutatta: a magyar internetezők mintegy 2 százaléka, 250 "
            "ezer ember találkozott már zsarolóvírussal."
        ),
        "disease_outbreak",
    ),
    # fi-nl-048
    (
        "fi",
        "Vuosikokous 20.2.2024",
        (
            "Varsin harvalukuinen joukko jäseniä oli päättämässä "
            "yhdistyksen asioista vuosikokouksessa. Puheenjohtajaksi "
            "valittiin jatkokaudelle Esa Heiskanen."
        ),
        "elections",
    ),
    # fi-nl-053
    (
        "fi",
        (
            "Pehmeyden vastarinta: ”Kun pommit putoavat, kyky tuntea "
            "myötätuntoa muuttuu poliittiseksi teoksi”"
        ),
        (
            "Sami Sankilampi yrittää liimata kolumnissaan maailman "
            "sirpaleita yhteen Uusi Juttu kainalossa."
        ),
        "armed_conflict",
    ),
    # da-nl-018
    (
        "da",
        "Svensker tiltalt for at flygte på elløbehjul i granatsag",
        (
            "Tre personer er tiltalt for blandt andet drabsforsøg i "
            "forbindelse med sprængning af granat i Østerbro-kiosk."
        ),
        "terrorism",
    ),
    # da-nl-020
    (
        "da",
        "Kongen hoppede i militært køretøj på fransk besøg",
        (
            "Den danske virksomhed Sima indgik under kongeligt besøg en "
            "samarbejdsaftale med fransk militærvirksomhed."
        ),
        "armed_conflict",
    ),
    # no-nl-013
    (
        "no",
        "Politiet henlegger dataangrep-saken mot Steinsvik",
        (
            "Rett før påske ble utstyrsleverandøren Steinsvik utsatt for "
            "et dataangrep fra kriminelle hackere. Det ble blant annet "
            "funnet «løsepengevirus» på serverne."
        ),
        "disease_outbreak",
    ),
    # no-nl-046
    (
        "no",
        "Tre gjenvalg og to nye i styret",
        (
            "Ole Andre Hesla tok gjenvalg som leder, Ingeborg Engelien "
            "Andresen som nestleder og Sæmund Moshagen som sportslig "
            "leder/styremedlem da Søndre Land IL Friidrett avholdt "
            "årsmøte mandag kveld 12. april."
        ),
        "elections",
    ),
    # no-nl-047
    (
        "no",
        "Vidar Ødegård takket av etter fem år",
        (
            "Vidar Ødegård ble onsdag kveld takket av som leder på "
            "årsmøtet i Søndre Land IL Friidrett. Årsmøtet valgte Ole "
            "Andre Hesla som ny leder."
        ),
        "elections",
    ),
    # no-nl-055
    (
        "no",
        "Skaperkraft på festival",
        (
            "På Oslo Skaperfestival møtes teknologi, kunst og vitenskap. "
            "Det er en festival hvor alle – oppfinnere, kunstnere, "
            "forskere, hackere, håndverkere og hjemmemakkere – kan vise "
            "frem hva de har laget."
        ),
        "cyberattack",
    ),
    # bg-nl-024
    (
        "bg",
        (
            "Двама млади мъже са обвинени в тероризъм, след като "
            "полицията съобщи, че са се опитали да извършат бомбена "
            "атака по време на протест пред дома на кмета на Ню Йорк."
        ),
        (
            "Според властите действията им са били вдъхновени от "
            "джихадистката групировка „Ислямска държава“."
        ),
        "protest",
    ),
    # bg-nl-036
    (
        "bg",
        (
            "Георги Иванов – Гонзо е новият президент на БФС, след като "
            "спечели още на първи тур изборите на днешния конгрес на "
            "централата."
        ),
        (
            "Георги Иванов – взе 235 гласа от общо 469 гласували "
            "делегати и така събра необходимите над 50% от гласовете."
        ),
        "elections",
    ),
    # bg-nl-040
    (
        "bg",
        (
            "Изпълкома на БФС реши конгресът за избор на президент и нов "
            "изпълком на централата да бъде отменен."
        ),
        "Той трябваше да се проведе на 18 март.",
        "elections",
    ),
]


@pytest.mark.parametrize(("language", "title", "summary", "topic"), NOT_TAGGED)
def test_trap_is_not_tagged(
    language: str, title: str, summary: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic not in tagged(title, summary, language, taxonomy)


@pytest.mark.parametrize("language", NEW_LANGUAGES)
def test_every_topic_has_rules_for_the_new_languages(
    language: str, taxonomy: CompiledTaxonomy
) -> None:
    assert taxonomy.matcher_for(language) is not taxonomy.fallback
    with TAXONOMY_FILE.open("rb") as file:
        topics = tomllib.load(file)["topics"]
    assert [topic["id"] for topic in topics if language not in topic["rules"]] == []


def test_bengali_words_stay_whole() -> None:
    folded = fold_for_matching("নির্বাচনে ভোট গণনা", "bn")
    assert [word for word in split_words(folded) if word.strip()] == ["নির্বাচনে", "ভোট", "গণনা"]


def test_bengali_club_election_is_not_an_election(taxonomy: CompiledTaxonomy) -> None:
    # The same words as a national vote, but a press club's committee.
    assert "elections" not in tagged("প্রেসক্লাবের নির্বাচনে সভাপতি নির্বাচিত", "", "bn", taxonomy)
    assert "elections" in tagged("জাতীয় সংসদ নির্বাচনে ভোটগ্রহণ শুরু", "", "bn", taxonomy)


@pytest.mark.parametrize(
    ("language", "title"),
    [
        ("hu", "Kitüntetést kapott a tanár"),  # kitüntetés (award) holds "tüntetés" (protest)
        ("no", "Reaksjonen kom raskt fra redaksjonen"),  # reaksjon, redaksjon hold "aksjon"
        ("fi", "Perinteitä vaalitaan kylässä"),  # vaalia (cherish) is no vaali (election)
        ("da", "Et godt valg for familien"),  # valg is also a choice
        ("cs", "Nový kurz angličtiny pro seniory"),  # kurz is also a course
        ("bg", "Протест на прокуратурата срещу присъдата"),  # a prosecutor's appeal
        (
            "ur",
            "نوجوان نے گھریلو ناچاقی پر خودکشی کر لی",
        ),  # خودکشی is suicide, not a suicide bombing
    ],
)
def test_words_inside_other_words_do_not_tag(
    language: str, title: str, taxonomy: CompiledTaxonomy
) -> None:
    assert tagged(title, "", language, taxonomy) == set()
