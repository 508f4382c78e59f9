"""Stop words for Russian, Kazakh and English, in the lemma space the store indexes.

The lists below are written as ordinary words; `STOP_LEMMAS` holds each word as written
and as `annotate.tokens.lemma` turns it (pymorphy3 for Russian, our stemmer for Kazakh, the
light English stemmer), because the analysis reads the lemma strings of the full-text index.
Besides function words they hold the words every news post uses whatever it is about
(said, year, today, reported) and Telegram boilerplate (subscribe, channel, links), which
would otherwise top every list of "distinctive" terms.
"""

from __future__ import annotations

from functools import lru_cache

RU = """
а авось ага без более безо бы был была были было быть в вам вами вас ваш ваша ваше ваши весь
во вот все всё всего всей всем всеми всех всю вся вы где да даже для до его ее её ей ему если
есть еще ещё же за зачем здесь и из изо или им ими их к как какая какие каким какой кем ко
когда кого ком кому который которая которое которые которых котором которой кто куда ли либо
лишь меня мне мной мною мы на над надо наш наша наше наши не него нее неё ней нем нём нему
нет ни нибудь никак никогда ним ними них ничего но ну о об обо однако он она они оно от ото
очень по под подо пока после потом потому почему при про раз разве с сам сама сами само свой
своя своё свое свои себе себя со совсем так также такая такие такой такое там тебе тебя тем
теми то того тоже той только том тому тот ту тут ты у уже хотя чего чей чем через что чтобы
чтоб чье чья эта эти этим этими этих это этого этой этом этому этот я
весьма именно иной каждый любой многие некоторый несколько никто ничто оба один одна одни
другой другие другая самый сей столь сюда туда тогда теперь сейчас ныне вообще всегда
иногда может можно нельзя нужно должен должна должны стать стал стала стали являться
является являются быть бывать иметь имеет мочь сказать говорить заявить заявил заявила
отметить отметил отметила сообщить сообщил сообщила сообщает сообщается подчеркнуть
подчеркнул добавить добавил рассказать рассказал пояснить пояснил также кроме между среди
около более менее например т.е т.к тд тп др г гг год года году лет время день дня
сегодня вчера завтра ранее позже недавно новый новая новые новость новости ещё уже
однако поэтому кстати итак впрочем ведь вроде будто словно якобы пусть давай давайте
это всё свой весь который мочь являться ход рамка связь счет
подписаться подписывайтесь подписывайся канал канала наш читать читайте смотреть смотрите
ссылка источник фото видео http https www com ru kz t me telegram
"""

KK = """
және мен бен пен да де та те ма ме ба бе па пе ғой ғана қана тек әр бір бұл сол осы ол олар
біз сіз сен мен өз өзі өзінің оның олардың біздің сіздің мұнда сонда онда қазір енді кейін
бұрын дейін шейін үшін туралы арқылы бойынша сияқты секілді сайын қарай гөрі соң кейін
немесе не әлде бірақ алайда дегенмен себебі өйткені егер онда сондықтан яғни әрі әрі-сәрі
жоқ емес бар болды болады болып болған болса болу еді екен деп деді деген дейді айтты
айтып атап өтті өтті мәлімдеді хабарлады жазды жыл жылы жылдың күн күні бүгін кеше ертең
барлық көп аз бірнеше кейбір басқа ең өте тағы да ақпарат арна жазылыңыз оқыңыз
"""

EN = """
a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for from
further had has have having he her here hers herself him himself his how i if in into is it
its itself just me more most my myself no nor not now of off on once only or other our ours
ourselves out over own same she should so some such than that the their theirs them
themselves then there these they this those through to too under until up very was we were
what when where which while who whom why will with would you your yours yourself yourselves
said say says told according also year years month week day today yesterday tomorrow new
news report reported reports one two three first last may might must shall us per via
mr mrs ms would could should amid within without however since still yet many much
subscribe channel read more link photo video http https www com html t me telegram
"""


def _words(block: str) -> list[str]:
    return [w for w in block.split() if w]


@lru_cache(maxsize=1)
def stop_lemmas() -> frozenset[str]:
    """Every stop word as written and as lemmatised for its language."""
    from multivector.annotate.tokens import lemma

    out: set[str] = set()
    for block, lang in ((RU, "ru"), (KK, "kk"), (EN, "en")):
        for w in _words(block):
            low = w.lower().replace("ё", "е")
            out.add(low)
            out.add(lemma(low, lang))
    return frozenset(out)


def is_stop(term: str) -> bool:
    """A stop word, a number, a one- or two-letter token, a token with no letter, or link and
    account debris: user and bot names (`_`), invite-link hashes and other long mixes of
    letters and digits (short ones such as g20 or c5 stay), Latin tokens over 20 letters."""
    if len(term) < 3 or term in stop_lemmas() or "_" in term:
        return True
    if not any(ch.isalpha() for ch in term):
        return True
    if len(term) > 4 and any(ch.isdigit() for ch in term):
        return True
    return len(term) > 20 and term.isascii()


# Lemmas already sorted into content words and the rest: a text's words are split with set
# operations in C, and only words never met before run the tests of `is_stop`. The sets only
# grow (up to a bound, then new words are judged each time), so threads sharing them never see
# a word vanish between two steps.
_CONTENT: set[str] = set()
_NOT_CONTENT: set[str] = set()
_SORTED_LIMIT = 300_000


def content_words(words: set[str]) -> frozenset[str]:
    """The lemmas of `words` that are not stop words, numbers or debris (`is_stop`)."""
    new = words.difference(_CONTENT, _NOT_CONTENT)
    stops = set()
    if new:
        room = len(_CONTENT) + len(_NOT_CONTENT) < _SORTED_LIMIT
        for lm in new:
            if is_stop(lm):
                stops.add(lm)
                if room:
                    _NOT_CONTENT.add(lm)
            elif room:
                _CONTENT.add(lm)
    return frozenset(words.difference(_NOT_CONTENT, stops))
