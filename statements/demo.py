"""The demo conversation, modelled on Helsinki's 2026 participation-model discussion.

Written by the Voxit team (not the city's text). The simulated participants are marked
``is_demo`` and fall into three planted opinion groups, so the opinion-group report has
something to show at once. Stances per statement: +1 the group tends to agree, -1 to disagree,
0 split.
"""

DEMO_SLUG = "osallistumismalli-2026"

CONVERSATION = {
    "title_fi": "Miten haluat osallistua Helsingin asioihin?",
    "title_sv": "Hur vill du delta i Helsingfors angelägenheter?",
    "title_en": "How do you want to take part in Helsinki's affairs?",
    "question_fi": "Kaupunki uudistaa osallistumismalliaan. Millaisilla tavoilla asukkaiden pitäisi voida vaikuttaa?",
    "question_sv": "Staden förnyar sin delaktighetsmodell. På vilka sätt borde invånarna kunna påverka?",
    "question_en": "The city is renewing its participation model. In what ways should residents be able to have a say?",
    "description_fi": (
        "Äänestä väitteistä: samaa mieltä, eri mieltä tai ohita. Voit myös lisätä oman väitteen, "
        "jonka moderaattori julkaisee arkipäivisin 24 tunnin kuluessa. Tämä on Voxitin esittelykeskustelu; "
        "osallistujat ja äänet ovat simuloituja."
    ),
    "description_sv": (
        "Rösta om påståendena: håller med, håller inte med eller hoppa över. Du kan också lägga till ett eget "
        "påstående, som moderatorn publicerar på vardagar inom 24 timmar. Detta är Voxits demodiskussion; "
        "deltagarna och rösterna är simulerade."
    ),
    "description_en": (
        "Vote on the statements: agree, disagree or pass. You can also add a statement of your own, which a "
        "moderator publishes on weekdays within 24 hours. This is Voxit's demo conversation; its participants "
        "and votes are simulated."
    ),
}

# (fi, sv, en, stances for groups (digital, local face-to-face, sceptical of participation))
STATEMENTS = [
    ("Asukasiltoja pitäisi järjestää jokaisessa suurpiirissä vähintään kahdesti vuodessa.",
     "Invånarkvällar borde ordnas i varje stordistrikt minst två gånger om året.",
     "Resident evenings should be held in every major district at least twice a year.", (0, 1, -1)),
    ("Verkkotilaisuudet ovat minulle helpompi tapa osallistua kuin paikan päällä olevat tilaisuudet.",
     "Webbevenemang är ett lättare sätt för mig att delta än evenemang på plats.",
     "Online events are an easier way for me to take part than events on site.", (1, -1, 0)),
    ("Osallistuvan budjetoinnin rahamäärää pitäisi kasvattaa.",
     "Beloppet för den deltagande budgeteringen borde ökas.",
     "The amount of money in participatory budgeting should be increased.", (1, 1, -1)),
    ("Osallistuva budjetointi vie liikaa virkamiesten aikaa tuloksiin nähden.",
     "Den deltagande budgeteringen tar för mycket av tjänstemännens tid i förhållande till resultaten.",
     "Participatory budgeting takes too much officials' time for what it achieves.", (-1, -1, 1)),
    ("Nuorille pitää olla omia vaikuttamisen kanavia, esimerkiksi nuorisoneuvosto ja koulujen kautta.",
     "Unga behöver egna kanaler för påverkan, till exempel ungdomsfullmäktige och via skolorna.",
     "Young people need channels of their own, such as the youth council and schools.", (1, 1, 0)),
    ("Kaikki osallistumisen tilaisuudet pitää järjestää esteettömissä tiloissa.",
     "Alla delaktighetsevenemang ska ordnas i tillgängliga lokaler.",
     "Every participation event must be held in accessible premises.", (1, 1, 1)),
    ("Kaupungin pitäisi kertoa selvästi, miten asukkaiden palaute vaikutti päätöksiin.",
     "Staden borde tydligt berätta hur invånarnas respons påverkade besluten.",
     "The city should say clearly how residents' feedback affected decisions.", (1, 1, 1)),
    ("Mobiilisovellus olisi paras kanava kertoa mielipiteensä kaupungille.",
     "En mobilapp vore den bästa kanalen för att ge staden sin åsikt.",
     "A mobile app would be the best channel for giving the city your opinion.", (1, -1, 0)),
    ("Kaikkea ei voi hoitaa netissä: tarvitaan myös paperilomakkeita ja puhelinpalvelua.",
     "Allt kan inte skötas på nätet: det behövs också pappersblanketter och telefonservice.",
     "Not everything can be done online: paper forms and a phone service are needed too.", (-1, 1, 0)),
    ("Päätökset tekevät valtuutetut, eikä asukkaiden tarvitse osallistua niiden valmisteluun.",
     "Besluten fattas av fullmäktigeledamöterna, och invånarna behöver inte delta i beredningen.",
     "Councillors make the decisions, and residents need not take part in preparing them.", (-1, -1, 1)),
    ("Stadiluotsien työ alueilla on tärkeää ja sitä pitää jatkaa.",
     "Stadsdelsguidernas arbete i områdena är viktigt och ska fortsätta.",
     "The borough liaisons' work in the districts matters and should continue.", (0, 1, -1)),
    ("Osallistumisesta pitäisi tiedottaa myös selkokielellä ja useilla kielillä.",
     "Delaktigheten borde kommuniceras även på lättläst språk och på flera språk.",
     "Participation should be communicated in plain language and in many languages.", (1, 1, 0)),
    ("Kaupungin kyselyt ovat liian pitkiä, enkä jaksa vastata niihin.",
     "Stadens enkäter är för långa och jag orkar inte svara på dem.",
     "The city's surveys are too long, and I don't have the energy to answer them.", (1, 0, 1)),
    ("Asukasyhdistyksille pitäisi antaa enemmän tukea ja tiloja.",
     "Invånarföreningar borde få mer stöd och lokaler.",
     "Residents' associations should get more support and premises.", (0, 1, -1)),
    ("Osallistumiseen käytetyt rahat olisi parempi käyttää peruspalveluihin.",
     "Pengarna för delaktighet vore bättre använda för basservicen.",
     "The money spent on participation would be better spent on basic services.", (-1, -1, 1)),
    ("Kaupunginosien kehittämisestä pitäisi voida äänestää verkossa.",
     "Man borde kunna rösta på nätet om utvecklingen av stadsdelarna.",
     "Residents should be able to vote online on how their district develops.", (1, 0, -1)),
    ("Ikääntyneet jäävät helposti digitaalisen osallistumisen ulkopuolelle.",
     "Äldre hamnar lätt utanför det digitala deltagandet.",
     "Older people are easily left out of digital participation.", (0, 1, 0)),
    ("Avoimet tiedot päätösten valmistelusta pitäisi julkaista koneluettavina.",
     "Öppna data om beslutsberedningen borde publiceras i maskinläsbar form.",
     "Open data on how decisions are prepared should be published in machine-readable form.", (1, 0, 0)),
    ("Kävelykierrokset omalla asuinalueella ovat hyvä tapa kuulla asukkaita.",
     "Promenader i det egna bostadsområdet är ett bra sätt att höra invånarna.",
     "Walking tours of one's own neighbourhood are a good way to hear residents.", (0, 1, -1)),
    ("Kaupungin pitäisi palkita aktiivisia asukkaita esimerkiksi kulttuurisetelein.",
     "Staden borde belöna aktiva invånare till exempel med kultursedlar.",
     "The city should reward active residents, for example with culture vouchers.", (1, -1, -1)),
    ("Osallistuminen on usein näennäistä: päätökset on tehty jo etukäteen.",
     "Delaktigheten är ofta skenbar: besluten är redan fattade på förhand.",
     "Participation is often for show: the decisions have been made in advance.", (-1, 0, 1)),
    ("Koululaisten pitäisi päästä vaikuttamaan oman koulunsa pihan ja tilojen suunnitteluun.",
     "Skolelever borde få påverka planeringen av sin egen skolgård och sina lokaler.",
     "Pupils should have a say in designing their own school yard and premises.", (1, 1, 0)),
    ("Tekoälyä voisi käyttää tiivistämään asukkaiden palautetta päättäjille.",
     "Artificiell intelligens kunde användas för att sammanfatta invånarnas respons för beslutsfattarna.",
     "AI could be used to summarise residents' feedback for decision-makers.", (1, -1, 0)),
    ("Kaupungin pitäisi järjestää kansalaisraateja, joihin osallistujat arvotaan.",
     "Staden borde ordna medborgarpaneler med lottade deltagare.",
     "The city should hold citizens' panels with participants chosen by lot.", (1, 0, -1)),
    ("Päätöksistä kertovat tiedotteet ovat liian virallista kieltä.",
     "Meddelandena om besluten är skrivna på ett alltför officiellt språk.",
     "Announcements about decisions are written in language that is too official.", (0, 1, 1)),
    ("Kirjastot ovat hyviä paikkoja kaupungin ja asukkaiden kohtaamiselle.",
     "Biblioteken är bra platser för möten mellan staden och invånarna.",
     "Libraries are good places for the city and residents to meet.", (1, 1, 0)),
    ("Asukkaiden mielipiteitä kysytään liian myöhään, kun suunnitelmat ovat jo valmiita.",
     "Invånarnas åsikter frågas för sent, när planerna redan är färdiga.",
     "Residents are asked too late, when the plans are already finished.", (0, 1, 1)),
    ("Kaupunginosille pitäisi antaa oma päätösvaltainen asukasneuvosto.",
     "Stadsdelarna borde få ett eget beslutsfattande invånarråd.",
     "Districts should get a residents' council with real decision-making power.", (0, 1, -1)),
    ("En halua käyttää aikaani kaupungin osallistumistilaisuuksiin.",
     "Jag vill inte använda min tid på stadens delaktighetsevenemang.",
     "I don't want to spend my time on the city's participation events.", (-1, -1, 1)),
    ("Palautteen antamisen pitäisi onnistua nimettömästi.",
     "Det borde gå att ge respons anonymt.",
     "It should be possible to give feedback anonymously.", (1, 0, 1)),
]

# Resident submissions that wait for a moderator in the demo.
PENDING_SUBMISSIONS = [
    "Osallistumisen tilaisuuksia pitäisi olla myös iltaisin ja viikonloppuisin.",
    "Kaupungin verkkosivuilla pitäisi olla yksi paikka, josta löytyvät kaikki avoimet kyselyt.",
    "Lapsiperheille pitäisi järjestää lastenhoito asukastilaisuuksien ajaksi.",
]
